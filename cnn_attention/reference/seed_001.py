import math

from keras import layers

# Seed 001's Keras functions, with the one change Keras 3 forces: tf.nn.relu and
# tf.nn.sigmoid on symbolic tensors raise "A KerasTensor cannot be used as input to
# a TensorFlow function", so they become layers.Activation. The rest is the seed's.


def se_block(inputs, ratio=4):
    """Seed 001's SE block (functional Keras), ported to Keras 3."""
    in_channel = inputs.shape[-1]
    x = layers.GlobalAveragePooling2D()(inputs)
    x = layers.Reshape(target_shape=(1, 1, in_channel))(x)
    x = layers.Dense(in_channel // ratio)(x)
    x = layers.Activation("relu")(x)  # seed: tf.nn.relu(x)
    x = layers.Dense(in_channel)(x)
    x = layers.Activation("sigmoid")(x)  # seed: tf.nn.sigmoid(x)
    outputs = layers.multiply([inputs, x])
    return outputs


def eca_block(inputs, b=1, gama=2):
    """Seed 001's ECA block (functional Keras), ported to Keras 3.

    tf.nn.sigmoid became layers.Activation; the rest is the seed's.
    """
    in_channel = inputs.shape[-1]
    kernel_size = int(abs((math.log(in_channel, 2) + b) / gama))
    # The seed's comment: "if the kernel size is even, use it"
    # (but the code keeps odd sizes).
    if kernel_size % 2:
        kernel_size = kernel_size
    # The seed's comment: "if it is odd, make it even"
    # (but the code turns even sizes into odd ones).
    else:
        kernel_size = kernel_size + 1
    x = layers.GlobalAveragePooling2D()(inputs)
    x = layers.Reshape(target_shape=(in_channel, 1))(x)
    x = layers.Conv1D(
        filters=1, kernel_size=kernel_size, padding="same", use_bias=False
    )(x)
    x = layers.Activation("sigmoid")(x)  # seed: tf.nn.sigmoid(x)
    x = layers.Reshape((1, 1, in_channel))(x)
    outputs = layers.multiply([inputs, x])
    return outputs


__all__ = [
    "se_block",
    "eca_block",
]

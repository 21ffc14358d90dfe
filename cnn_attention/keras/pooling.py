"""Pooling heads in Keras 3: GeM, global pooling by name, dual (concatenated) pooling
heads (chapter 5). The twin of cnn_attention/torch/pooling.py.
"""

import functools

import keras
from keras import layers, ops

from cnn_attention.arguments import (
    HeadFactory,
    check_bool,
    check_dropout,
    check_gem_eps,
    check_gem_exponent,
    check_global_pool,
    check_positive_int,
    dual_pool_head_options,
    pooled_channels,
    pooling_head_options,
)
from cnn_attention.keras.factory import ConfigMixin
from cnn_attention.keras.reductions import reduce_max
from cnn_attention.utils import check_feature_map


@keras.saving.register_keras_serializable(package="cnn_attention")
class GeM(ConfigMixin, layers.Layer):
    """Generalised-mean pooling for (N, H, W, C) maps -> (N, 1, 1, C); the PyTorch
    GeM's twin, in the same log-domain form."""

    def __init__(self, channels, p=3.0, eps=1e-6, learn_p=True, **kwargs):
        super().__init__(**kwargs)
        self.set_config(
            channels=check_positive_int("channels", channels),
            p=check_gem_exponent(p),
            eps=check_gem_eps(eps),
            learn_p=check_bool("learn_p", learn_p),
        )
        self.channels = channels
        self.eps = float(eps)

    def build(self, input_shape):
        check_feature_map(
            input_shape, self.channels, channels_last=True, layer=self.label
        )
        self.p = self.add_weight(
            shape=(1,),
            initializer=keras.initializers.Constant(self.config["p"]),
            trainable=self.config["learn_p"],
            name="p",
        )

    def call(self, x):
        check_feature_map(x, self.channels, channels_last=True, layer=self.label)
        p = ops.cast(self.p, x.dtype)
        scaled = p * ops.log(ops.maximum(x, self.eps))  # p log x: (N, H, W, C)
        top = ops.stop_gradient(
            reduce_max(scaled, axis=(1, 2), keepdims=True)
        )  # (N,1,1,C)
        mean = ops.mean(ops.exp(scaled - top), axis=(1, 2), keepdims=True)
        return ops.exp((top + ops.log(mean)) / p)  # (N, 1, 1, C)


@keras.saving.register_keras_serializable(package="cnn_attention")
class GlobalPool(ConfigMixin, layers.Layer):
    """A global pooling by name for (N, H, W, C) maps -> (N, C') or, flatten=False,
    (N, 1, 1, C'); the PyTorch GlobalPool's twin (concatenation on the last axis)."""

    def __init__(
        self,
        channels,
        pool="avg",
        p=3.0,
        eps=1e-6,
        learn_p=True,
        flatten=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.set_config(
            channels=check_positive_int("channels", channels),
            pool=check_global_pool(pool),
            p=check_gem_exponent(p),
            eps=check_gem_eps(eps),
            learn_p=check_bool("learn_p", learn_p),
            flatten=check_bool("flatten", flatten),
        )
        self.channels = channels
        self.out_channels = pooled_channels(channels, pool)
        self.kind = pool
        self.flatten = flatten
        self.gem = (
            GeM(channels, p, eps, learn_p, name="gem", dtype=self.dtype_policy)
            if pool == "gem"
            else None
        )

    def build(self, input_shape):
        check_feature_map(
            input_shape, self.channels, channels_last=True, layer=self.label
        )
        if self.gem is not None:
            self.gem.build(input_shape)

    def call(self, x):
        check_feature_map(x, self.channels, channels_last=True, layer=self.label)
        if self.kind == "gem":
            pooled = self.gem(x)  # (N, 1, 1, C)
        elif self.kind == "avg":
            pooled = ops.mean(x, axis=(1, 2), keepdims=True)  # (N, 1, 1, C)
        elif self.kind == "max":
            pooled = reduce_max(x, axis=(1, 2), keepdims=True)  # (N, 1, 1, C)
        else:
            average = ops.mean(x, axis=(1, 2), keepdims=True)  # (N, 1, 1, C)
            maximum = reduce_max(x, axis=(1, 2), keepdims=True)  # (N, 1, 1, C)
            if self.kind == "avgmax":
                pooled = 0.5 * (average + maximum)  # (N, 1, 1, C)
            elif self.kind == "catavgmax":
                pooled = ops.concatenate([average, maximum], axis=-1)  # (N,1,1,2C)
            else:  # "catmaxavg"
                pooled = ops.concatenate([maximum, average], axis=-1)  # (N,1,1,2C)
        # squeeze with its axes named keeps the batch axis, even for N = 1
        return ops.squeeze(pooled, axis=(1, 2)) if self.flatten else pooled


@keras.saving.register_keras_serializable(package="cnn_attention")
class PoolingHead(ConfigMixin, layers.Layer):
    """A global pooling, dropout, Dense: (N, H, W, C) -> (N, num_classes); the
    PyTorch PoolingHead's twin."""

    def __init__(
        self,
        in_channels,
        num_classes,
        pool="avg",
        dropout=0.0,
        p=3.0,
        eps=1e-6,
        learn_p=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_positive_int("in_channels", in_channels)
        policy = self.dtype_policy
        self.pool = GlobalPool(
            in_channels, pool, p, eps, learn_p, name="pool", dtype=policy
        )
        self.set_config(
            in_channels=in_channels,
            num_classes=check_positive_int("num_classes", num_classes),
            pool=pool,
            dropout=check_dropout(dropout),
            p=p,
            eps=eps,
            learn_p=learn_p,
        )
        self.drop = (
            layers.Dropout(dropout, name="drop", dtype=policy) if dropout > 0 else None
        )
        self.fc = layers.Dense(num_classes, name="fc", dtype=policy)

    def build(self, input_shape):
        self.pool.build(input_shape)
        self.fc.build((None, self.pool.out_channels))

    def call(self, x, training=None):
        pooled = self.pool(x)  # (N, H, W, C) -> (N, C')
        if self.drop is not None:
            pooled = self.drop(pooled, training=training)
        return self.fc(pooled)  # (N, C') -> (N, num_classes)


@keras.saving.register_keras_serializable(package="cnn_attention")
class DualPoolHead(ConfigMixin, layers.Layer):
    """Seed 004's head for (N, H, W, C) maps -> (N, num_classes); the PyTorch
    DualPoolHead's twin."""

    def __init__(
        self,
        in_channels,
        num_classes,
        pool="catavgmax",
        hidden_channels=None,
        dropout=0.5,
        **kwargs,
    ):
        super().__init__(**kwargs)
        check_positive_int("in_channels", in_channels)
        options = dict(dual_pool_head_options(pool, hidden_channels, dropout))
        policy = self.dtype_policy
        self.pool = GlobalPool(
            in_channels, pool, flatten=False, name="pool", dtype=policy
        )
        check_positive_int("num_classes", num_classes)
        self.set_config(in_channels=in_channels, num_classes=num_classes, **options)
        self.hidden = in_channels if hidden_channels is None else hidden_channels
        self.set_resolved(hidden_channels=self.hidden)
        self.reduce = layers.Conv2D(self.hidden, 1, name="reduce", dtype=policy)
        self.drop = (
            layers.Dropout(dropout, name="drop", dtype=policy) if dropout > 0 else None
        )
        self.fc = layers.Dense(num_classes, name="fc", dtype=policy)

    def build(self, input_shape):
        self.pool.build(input_shape)
        self.reduce.build((None, 1, 1, self.pool.out_channels))
        self.fc.build((None, self.hidden))

    def call(self, x, training=None):
        pooled = self.pool(x)  # (N, 1, 1, 2C)
        reduced = ops.squeeze(self.reduce(pooled), axis=(1, 2))  # (N, hidden)
        if self.drop is not None:
            reduced = self.drop(reduced, training=training)
        return self.fc(reduced)  # (N, num_classes)


def pooling_head(pool="avg", dropout=0.0, p=3.0, eps=1e-6, learn_p=True):
    """ResNet(head=pooling_head("catavgmax")): a PoolingHead as wide as the network."""
    options = pooling_head_options(pool, dropout, p, eps, learn_p)
    return HeadFactory(
        "pooling_head", options, functools.partial(PoolingHead, name="head")
    )


def dual_pool_head(pool="catavgmax", hidden_channels=None, dropout=0.5):
    """ResNet(head=dual_pool_head()): seed 004's head, as wide as the network."""
    options = dual_pool_head_options(pool, hidden_channels, dropout)
    return HeadFactory(
        "dual_pool_head", options, functools.partial(DualPoolHead, name="head")
    )


# HeadFactory kinds -> the functions that make them (for Keras configs)
HEAD_FACTORIES = {"pooling_head": pooling_head, "dual_pool_head": dual_pool_head}


__all__ = [
    "HEAD_FACTORIES",
    "GeM",
    "GlobalPool",
    "PoolingHead",
    "DualPoolHead",
    "pooling_head",
    "dual_pool_head",
]

"""Mask-aware Keras layers for residual convolutional text models."""

from keras_restext.layers.bag_of_tokens import BagOfTokensLogits, token_idf
from keras_restext.layers.drop_path import DropPath
from keras_restext.layers.hashed_ngrams import HashedNGrams
from keras_restext.layers.global_pooling import MaskedGlobalPooling1D
from keras_restext.layers.keep_words import KeepWords
from keras_restext.layers.kmax_pooling import KMaxPooling1D
from keras_restext.layers.limit_vocabulary import LimitVocabulary
from keras_restext.layers.masked_conv1d import MaskedConv1D
from keras_restext.layers.masked_downsample import MaskedDownsample1D
from keras_restext.layers.res_block import ResBlock
from keras_restext.layers.squeeze_excitation import SqueezeExcitation1D
from keras_restext.layers.stop_gradient import StopGradient

__all__ = [
    "BagOfTokensLogits",
    "DropPath",
    "HashedNGrams",
    "KMaxPooling1D",
    "KeepWords",
    "LimitVocabulary",
    "MaskedConv1D",
    "MaskedDownsample1D",
    "MaskedGlobalPooling1D",
    "ResBlock",
    "SqueezeExcitation1D",
    "StopGradient",
    "token_idf",
]

"""The language-model family: character-level recurrent networks (char-RNN) on text."""

from kgen.models.language.char_rnn import DEFAULT_VOCABULARY, CharRNN, build_char_rnn
from kgen.models.language.text_data import (TextStream, decode, encode, load_text_stream, stream_batches,
                                            stream_dataset, window_dataset)

__all__ = ["CharRNN", "DEFAULT_VOCABULARY", "TextStream", "build_char_rnn", "decode", "encode",
           "load_text_stream", "stream_batches", "stream_dataset", "window_dataset"]

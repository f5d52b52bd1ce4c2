"""Recurrent networks: gradients through time and a threshold RNN latch (bank/rnn)."""

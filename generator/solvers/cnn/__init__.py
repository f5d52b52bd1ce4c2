"""Convolutional networks: convolution and pooling by hand, parameters, output volumes, receptive
fields, input bounds, layer shapes and reading a model's code (bank/cnn; `model_reading` also
serves bank/mlp/linear-model-params)."""

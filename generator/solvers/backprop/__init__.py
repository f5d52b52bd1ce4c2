"""Backpropagation: computational graphs, path sums, gradient checking, sigmoid nets and a
siamese network (bank/backprop)."""

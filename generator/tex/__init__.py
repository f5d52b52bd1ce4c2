"""The TeX side of render and compile: the Jinja filters that print numbers and matrices, what the
paper prints besides the questions, feeding pdflatex while variants are sampled, and the
precompiled preamble."""

"""What an instructor hands examgen, validated: the YAML schema checker, parameter domains,
rosters, layer stacks as data, and where the bank and the LaTeX templates live."""

"""The quality gate (`examgen check`) and what it measures: sanity of each solved instance,
balance of categorical answers, degenerate draws, the batched TeX run and the layout of the pages."""

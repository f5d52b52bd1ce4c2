"""What the commands besides `build` and `export` show or write: the progress bar and tables,
`examgen solve`'s record of one instance, and `examgen init`'s starter folder."""

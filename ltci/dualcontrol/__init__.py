"""Four eyes on money typed by hand (双人复核): fees and fines above a region's threshold and every
change of a payee's bank account take effect only when a second person approves them."""

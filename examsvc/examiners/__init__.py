"""Chief examiners' own signing keys, usable only with their passphrase."""

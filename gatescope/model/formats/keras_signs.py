"""What marks a Keras model file: the HDF5 signature, the zip signature and the members of a ``.keras`` archive."""

CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
ZIP_MAGIC = b"PK\x03\x04"

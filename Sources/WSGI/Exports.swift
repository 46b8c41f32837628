/// `Bytes`, the bytestring of every body chunk, lives in its own small module so that the server
/// core and other application runtimes share it without depending on this interface; applications
/// see it as part of `WSGI`.
@_exported import SharedBytes

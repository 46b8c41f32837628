/// Told, on each event loop's thread, when that loop is about to wait for I/O (libuv's prepare
/// phase, once per iteration) and when it has stopped for good. An application runtime with a
/// global lock releases it there, so that its other threads run while the server has nothing to do
/// (CPython's GIL: the loop thread takes it when a request needs Python, and gives it back here).
/// See ``ServerConfiguration/loopObserver``.
public protocol LoopObserver: Sendable {
    /// The loop is about to wait for I/O.
    func loopWillWait()
    /// The loop ran its last iteration (the server stopped); its thread runs no more server code.
    func loopDidStop()
}

import CLibUV
import Glibc
import TLS
import UVLoop

/// Writing: plaintext in, ciphertext out with `uv_try_write`, the rest held (one slice at most)
/// until the socket's writability poll says it fits.
extension TLSTransport {
    /// Ciphertext waits to be sent: in `unsent`, or still in the session.
    var holdsCiphertext: Bool { unsentStart < unsent.count || session.pendingCiphertext > 0 }

    /// Encrypts and sends what the socket takes now; returns the plaintext bytes taken (encrypted:
    /// their ciphertext may wait here, and then this takes no more), 0 while earlier ciphertext or
    /// queued writes wait.
    ///
    /// Bytes taken are the transport's to deliver: the connection counts them as written. So
    /// ciphertext left waiting goes out when the socket takes it (the poll), whether or not the
    /// connection writes again.
    func tryWrite(_ buffers: WriteBuffers) throws -> Int {
        guard queued.isEmpty, try sendCiphertext() else { return 0 }
        var taken = 0
        while taken < buffers.byteCount {
            taken += try encryptSlice(of: taken == 0 ? buffers : buffers.dropping(first: taken))
            guard try sendCiphertext() else {
                try stream.notifyWhenWritable()
                break
            }
        }
        return taken
    }

    /// Queues `buffers` (kept valid by `owner` until encrypted); the connection hears
    /// ``Connection/writeCompleted(_:)`` once their ciphertext is in the kernel, from the socket's
    /// poll, never from inside this call.
    func write(_ buffers: WriteBuffers, keepingAlive owner: AnyObject?) throws {
        if buffers.byteCount == 0 {
            finishedWrites += 1
        } else {
            queued.append(QueuedWrite(buffers: buffers, owner: owner))
        }
        try sendQueued()
        try stream.notifyWhenWritable()
    }

    /// Reads up to `count` bytes of the file at `offset`, encrypts and sends them (no `sendfile(2)`
    /// through TLS). Returns the bytes taken, 0 while ciphertext waits, -1 when the file ended.
    func sendFile(_ descriptor: Int32, offset: Int, count: Int) throws -> Int {
        guard queued.isEmpty, try sendCiphertext() else { return 0 }
        let buffer = shared.outgoing
        while true {
            let read = pread(descriptor, buffer.baseAddress, min(count, buffer.count), off_t(offset))
            if read == 0 { return -1 }
            if read < 0 {
                if errno == EINTR { continue }
                throw UVError(-errno, "pread")
            }
            try encrypt(UnsafeRawBufferPointer(rebasing: buffer[..<read]))
            // Taken: what the socket does not take now goes when it does (see tryWrite).
            if !(try sendCiphertext()) { try stream.notifyWhenWritable() }
            return read
        }
    }

    /// The connection hears ``Connection/becameWritable(_:)`` once its ciphertext is out and the
    /// socket takes more.
    func notifyWhenWritable() throws {
        connectionAwaitsWritable = true
        try stream.notifyWhenWritable()
    }

    /// Blocks until the held ciphertext is sent or the socket takes more, for at most
    /// `milliseconds`; false on timeout. For an application's `write()` on the loop thread (no
    /// queued write is in flight then).
    func waitUntilWritable(milliseconds: Int32) throws -> Bool {
        if try sendCiphertext() { return true }
        guard try stream.waitUntilWritable(milliseconds: milliseconds) else { return false }
        if !(try sendCiphertext()) { try stream.notifyWhenWritable() }
        return true
    }

    /// close_notify, the queued writes, then FIN; the connection hears
    /// ``Connection/shutdownCompleted(_:)``.
    func shutdown() throws {
        session.close()
        try sendQueued()
        if holdsCiphertext || !queued.isEmpty || finishedWrites > 0 {
            shutdownRequested = true
            try stream.notifyWhenWritable()
            return
        }
        try stream.shutdown()
    }

    /// The socket takes more (or its poll failed): the held ciphertext and the queued writes go on;
    /// once all is out, the connection hears of its finished writes, of the writability it waits
    /// for, and FIN goes if it was asked for.
    func socketBecameWritable(_ error: UVError?) {
        do {
            if let error { throw error }
            try sendQueued()
            if holdsCiphertext || !queued.isEmpty { return try stream.notifyWhenWritable() }
        } catch {
            // The connection hears it as a write's failure and closes, which cancels the rest.
            guard case .serving(let connection) = phase else { return close() }
            let failure = error as? UVError ?? UVError(UV_EIO.rawValue, "TLS write")
            if finishedWrites + queued.count > 0 {
                if finishedWrites > 0 { finishedWrites -= 1 } else { queued.removeFirst() }
                return connection.writeCompleted(failure)
            }
            if connectionAwaitsWritable {
                connectionAwaitsWritable = false
                return connection.becameWritable(failure)
            }
            // Only bytes the connection already counts as written were waiting: it closes (its
            // exchange included) as after any failed write.
            connection.context.logger.debug("TLS write failed; closing", metadata: ["peer": "\(connection.peerDescription)", "error": "\(failure)"])
            return connection.close()
        }
        guard case .serving(let connection) = phase else { return }
        while finishedWrites > 0, !stream.isClosing {
            finishedWrites -= 1
            connection.writeCompleted(nil)
        }
        if connectionAwaitsWritable, !stream.isClosing {
            connectionAwaitsWritable = false
            connection.becameWritable(nil)
        }
        if shutdownRequested, !stream.isClosing {
            shutdownRequested = false
            do { try stream.shutdown() } catch { connection.shutdownCompleted(error as? UVError) }
        }
    }

    /// Sends held ciphertext, then encrypts and sends the queued writes a slice at a time while the
    /// socket takes everything.
    func sendQueued() throws {
        while try sendCiphertext(), !queued.isEmpty {
            let encrypted = try encryptSlice(of: queued[0].buffers)
            queued[0].buffers = queued[0].buffers.dropping(first: encrypted)
            if queued[0].buffers.byteCount == 0 {
                queued.removeFirst()
                finishedWrites += 1
            }
        }
    }

    /// Sends the ciphertext held (`unsent`, then the session's) as far as the socket takes it;
    /// keeps the rest. Returns whether all of it went.
    @discardableResult
    func sendCiphertext() throws -> Bool {
        if unsentStart < unsent.count {
            let sent = try unsent.withUnsafeBytes { bytes in
                try send(UnsafeRawBufferPointer(rebasing: bytes[unsentStart...]))
            }
            unsentStart += sent
            guard unsentStart == unsent.count else { return false }
            unsent.removeAll()
            unsentStart = 0
        }
        while session.pendingCiphertext > 0 {
            let count = session.takeCiphertext(into: shared.ciphertext)
            let bytes = UnsafeRawBufferPointer(rebasing: shared.ciphertext[..<count])
            let sent = try send(bytes)
            if sent < count {
                unsent.append(contentsOf: bytes[sent...])
                return false
            }
        }
        return true
    }

    private func send(_ bytes: UnsafeRawBufferPointer) throws -> Int {
        var buffers = WriteBuffers()
        buffers.append(bytes)
        return try stream.tryWrite(buffers)
    }

    /// Encrypts up to a slice of `buffers` (not empty): a large first piece in place, small pieces
    /// gathered into one run first, so that they share records. Returns the bytes encrypted.
    private func encryptSlice(of buffers: WriteBuffers) throws -> Int {
        let first = buffers[0]
        if buffers.count == 1 || first.count >= TLSLoopState.slice / 2 {
            let slice = UnsafeRawBufferPointer(rebasing: first.prefix(TLSLoopState.slice))
            try encrypt(slice)
            return slice.count
        }
        let run = shared.outgoing
        var filled = 0
        for index in 0..<buffers.count where filled < run.count {
            let piece = buffers[index].prefix(run.count - filled)
            UnsafeMutableRawBufferPointer(rebasing: run[filled...]).copyMemory(from: UnsafeRawBufferPointer(rebasing: piece))
            filled += piece.count
        }
        try encrypt(UnsafeRawBufferPointer(rebasing: run[..<filled]))
        return filled
    }

    /// Encrypts all of `bytes` into the session's pending ciphertext.
    private func encrypt(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let taken: Int
            do {
                taken = try session.writePlaintext(UnsafeRawBufferPointer(rebasing: bytes[done...]))
            } catch {
                throw Self.failure(error)
            }
            // An established session always takes plaintext; none taken means it is not one.
            guard taken > 0 else { throw UVError(UV_EPROTO.rawValue, "TLS write: the session took nothing") }
            done += taken
        }
    }
}

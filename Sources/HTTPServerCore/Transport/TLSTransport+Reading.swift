import CLibUV
import TLS
import UVLoop

/// Reading: the handshake, plaintext for the connection while it reads, and receiving on demand for
/// an application that reads its body on the loop thread.
extension TLSTransport {
    /// Moves the handshake on with the ciphertext received so far; sends what it answers (its
    /// flights, or an alert), and once done hands the transport to the loop for its connection.
    func advanceHandshake(_ handshake: TLSHandshake) {
        let progress: TLSSession.Progress
        do {
            progress = try session.handshake()
        } catch {
            handshake.failed(error)
            // The alert, as far as the socket takes it now: the connection is over either way.
            _ = try? sendCiphertext()
            return close()
        }
        do {
            if !(try sendCiphertext()) { try stream.notifyWhenWritable() }
        } catch {
            return close()
        }
        switch progress {
        case .done:
            handshake.established(self)
            deliverBufferedInput()
        case .needsInput:
            break
        case .closed:
            close()
        }
    }

    /// Plain HTTP sent to this TLS listener: answered as nginx answers it, a `400` in plain HTTP
    /// saying so (a client that typed `http://` sees why), then closed.
    func refusePlaintext(_ handshake: TLSHandshake) {
        handshake.refusedPlaintext()
        let body = "The plain HTTP request was sent to a TLS port.\n"
        let response = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        var bytes = Array(response.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var buffers = WriteBuffers()
            buffers.append(UnsafeRawBufferPointer(buffer))
            _ = try? stream.tryWrite(buffers)
        }
        close()
    }

    /// Gives the connection the plaintext it wants: what a receive on demand left, then what the
    /// session decrypts, until the connection stops reading or the session needs more ciphertext;
    /// then the end of input, if the peer finished.
    func deliverBufferedInput() {
        while wantsInput, !stream.isClosing, case .serving(let connection) = phase {
            if !peeked.isEmpty {
                let bytes = peeked
                peeked = []
                bytes.withUnsafeBytes { connection.received($0) }
                continue
            }
            let progress: TLSSession.Progress
            do {
                progress = try session.readPlaintext(into: shared.plaintext)
                // Reading may answer (a key update); the answer waits its turn like any ciphertext.
                if session.pendingCiphertext > 0, !(try sendCiphertext()) { try stream.notifyWhenWritable() }
            } catch let error as TLSError {
                return connection.readFailed(Self.failure(error))
            } catch {
                return connection.readFailed(error as? UVError ?? UVError(UV_EIO.rawValue, "TLS read"))
            }
            switch progress {
            case .done(let count):
                connection.received(UnsafeRawBufferPointer(rebasing: shared.plaintext[..<count]))
            case .needsInput where !inputEnded:
                return
            case .needsInput, .closed:
                inputEnded = true
                // As a socket does: reading stops at the end of input.
                wantsInput = false
                return connection.receivedEOF()
            }
        }
    }

    /// Copies up to `buffer.count` plaintext bytes into `buffer`, without waiting: what an earlier
    /// peek left, else what the session holds, else what the socket has (decrypted in `buffer`).
    /// With `peeking` the bytes stay to be received again. Returns the count, 0 at the end of
    /// input, nil when nothing has arrived.
    func receive(into buffer: UnsafeMutableRawBufferPointer, peeking: Bool) throws -> Int? {
        guard buffer.count > 0 else { return 0 }
        if peeked.isEmpty {
            guard let count = try decrypt(into: buffer) else { return nil }
            if peeking && count > 0 { peeked = Array(buffer[..<count]) }
            return count
        }
        let count = min(buffer.count, peeked.count)
        peeked.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[..<count])) }
        if !peeking { peeked.removeFirst(count) }
        return count
    }

    /// Blocks until plaintext or the end of input may be received, for at most `milliseconds`.
    func waitUntilReadable(milliseconds: Int32) throws -> Bool {
        if !peeked.isEmpty || session.hasBufferedInput || inputEnded { return true }
        return try stream.waitUntilReadable(milliseconds: milliseconds)
    }

    /// Decrypts into `buffer` what the session holds, receiving ciphertext from the socket (beside
    /// libuv, which cannot run meanwhile: this is its thread) while the session needs it.
    private func decrypt(into buffer: UnsafeMutableRawBufferPointer) throws -> Int? {
        while true {
            let progress: TLSSession.Progress
            do {
                progress = try session.readPlaintext(into: buffer)
            } catch {
                throw Self.failure(error)
            }
            switch progress {
            case .done(let count):
                return count
            case .closed:
                inputEnded = true
                return 0
            case .needsInput:
                if inputEnded { return 0 }
                guard let count = try stream.receive(into: shared.ciphertext, peeking: false) else { return nil }
                if count == 0 {
                    inputEnded = true
                    return 0
                }
                session.receiveCiphertext(UnsafeRawBufferPointer(rebasing: shared.ciphertext[..<count]))
            }
        }
    }
}

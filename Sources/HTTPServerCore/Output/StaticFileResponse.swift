import Glibc
import SharedBytes
import StaticContent

/// A static file's response (``StaticMount``): the head, then the file's range with `sendfile(2)`.
///
/// Owns the file's descriptor from `init` (loop thread) until ``close()``, the one place it is
/// closed. `@unchecked Sendable` is sound by ``ResponseSource``'s contract: the core hands a source
/// to one application thread before its first call, and from then on only that thread calls
/// `next` and `close`, so `step` is never touched by two threads.
final class StaticFileResponse: ResponseSource, @unchecked Sendable {
    private enum Step {
        /// The head goes next, with the text body, or followed by the file's slice.
        case head(text: Bytes?, file: FileSlice?)
        case file(FileSlice)
        case done
    }

    private let head: ResponseHead
    private let descriptor: Int32
    private var step: Step

    /// nil when the file cannot be opened (gone, or not readable by the server since it was
    /// looked at): the application answers instead.
    init?(answer: StaticAnswer) {
        var lines = "\(answer.status) \(answer.reason)\r\n"
        for (name, value) in answer.headers { lines += "\(name): \(value)\r\n" }
        head = ResponseHead(status: answer.status, lines: Bytes(Array(lines.utf8)), contentLength: answer.contentLength)
        switch answer.body {
        case .none:
            descriptor = -1
            step = .head(text: nil, file: nil)
        case .text(let body):
            descriptor = -1
            step = .head(text: Bytes(Array(body.utf8)), file: nil)
        case .file(let path, let range):
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { return nil }
            step = .head(text: nil, file: FileSlice(descriptor: descriptor, offset: range.lowerBound, length: range.count))
        }
    }

    func next(into sink: any PartSink) -> ResponsePart {
        switch step {
        case .head(let text, file: nil):
            step = .done
            return .head(head, body: text, final: true)
        case .head(_, file: let slice?):
            step = .file(slice)
            return .head(head, body: nil, final: false)
        case .file(let slice):
            step = .done
            return .file(slice)
        case .done:
            return .end
        }
    }

    func close() {
        if descriptor >= 0 { Glibc.close(descriptor) }
    }
}

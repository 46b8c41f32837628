/// Why a request was refused: one case per rule, so a log line or a test names the exact rule broken.
///
/// After an error the parser is terminal (every later `parse` call returns the same error): once the
/// framing is in doubt no later byte on the connection can be trusted to start a request.
public enum ParseError: Error, Equatable, Sendable, CaseIterable {
    // MARK: Line endings
    /// A CR not immediately followed by LF, anywhere.
    case bareCR
    /// An LF not preceded by CR where a line ends (allowed only with `Leniencies.allowBareLF`).
    case bareLF

    // MARK: Request line
    /// The request line is longer than `ParserLimits.maxRequestLineLength`.
    case requestLineTooLong
    /// The method is empty or contains a byte that is not a token character.
    case invalidMethod
    /// The request line is not `method SP request-target SP HTTP-version` (missing part, extra space).
    case invalidRequestLine
    /// The request-target contains a byte outside visible ASCII or a `#`, or has none of the four
    /// forms (origin, absolute, authority, asterisk).
    case invalidTarget
    /// The target's form does not fit the method: authority-form is only for CONNECT (and CONNECT only
    /// takes authority-form); asterisk-form is only for OPTIONS.
    case targetFormNotAllowed
    /// The version is not `HTTP/` DIGIT `.` DIGIT.
    case invalidVersion
    /// A well-formed version other than HTTP/1.0 and HTTP/1.1.
    case unsupportedVersion
    /// `PRI * HTTP/2.0`: the start of HTTP/2's connection preface (RFC 9113 §3.4), a client
    /// speaking HTTP/2 with prior knowledge; a server that offers HTTP/2 switches protocols.
    case http2Preface

    // MARK: Header fields
    /// One field line is longer than `ParserLimits.maxFieldLength`.
    case fieldTooLong
    /// More field lines than `ParserLimits.maxFieldCount`.
    case tooManyFields
    /// The head is longer than `ParserLimits.maxHeadLength`.
    case headTooLarge
    /// A field name is empty or contains a byte that is not a token character.
    case invalidFieldName
    /// Whitespace between a field name and its colon (`Content-Length : 4`).
    case whitespaceBeforeColon
    /// A field line with no colon.
    case missingColon
    /// A field value contains a control character other than HTAB, or DEL.
    case invalidFieldValue
    /// A field line starting with SP or HTAB (obsolete line folding).
    case obsFold
    /// A line starting with SP or HTAB right after the request line.
    case whitespaceAfterRequestLine

    // MARK: Host
    /// An HTTP/1.1 request without a Host field.
    case missingHost
    /// More than one Host field.
    case duplicateHost
    /// A Host value with a byte that cannot appear in `uri-host [":" port]`.
    case invalidHost

    // MARK: Framing
    /// A Content-Length value that is not one or more digits (sign, list, space, empty).
    case invalidContentLength
    /// A Content-Length too large to represent.
    case contentLengthOverflow
    /// Content-Length fields with different values.
    case duplicateContentLength
    /// Both Content-Length and Transfer-Encoding.
    case contentLengthWithTransferEncoding
    /// Transfer-Encoding on an HTTP/1.0 request.
    case transferEncodingInHTTP10
    /// A Transfer-Encoding value that is not a list of transfer codings, or chunked with parameters.
    case invalidTransferEncoding
    /// Transfer-Encoding does not end in chunked (a coding follows chunked, or chunked is absent).
    case chunkedNotFinal
    /// chunked applied twice.
    case repeatedChunked
    /// Transfer codings other than chunked, which this parser does not decode.
    case unsupportedTransferEncoding
    /// The body is longer than `ParserLimits.maxBodyLength`.
    case bodyTooLarge

    // MARK: Chunked body
    /// A chunk size that is not one or more hex digits (prefix, sign, whitespace, empty).
    case invalidChunkSize
    /// A chunk size too large to represent.
    case chunkSizeOverflow
    /// A chunk extension that is not `;name`, `;name=token` or `;name="quoted"` with optional BWS.
    case invalidChunkExtension
    /// A chunk extension longer than `ParserLimits.maxChunkExtensionLength`.
    case chunkExtensionTooLong
    /// Chunk data not followed by CRLF (more data than the chunk size said).
    case missingChunkTerminator
    /// The trailer section is longer than `ParserLimits.maxTrailerLength`.
    case trailerTooLarge
    /// A trailer field that must not appear after the body: framing, routing, authentication,
    /// request modifier and content-format fields (the list is in docs/PARSER.md).
    case forbiddenTrailer

    // MARK: End of input
    /// The peer closed in the middle of a head.
    case incompleteHead
    /// The peer closed in the middle of a body.
    case incompleteBody

    /// The status a server answers with.
    public var status: Int {
        switch self {
        case .requestLineTooLong: 414
        case .fieldTooLong, .tooManyFields, .headTooLarge, .trailerTooLarge: 431
        case .bodyTooLarge: 413
        case .unsupportedTransferEncoding: 501
        case .unsupportedVersion, .http2Preface: 505
        default: 400
        }
    }

    /// A short description for the error body and the log line.
    public var reason: String {
        switch self {
        case .bareCR: "bare CR"
        case .bareLF: "bare LF"
        case .requestLineTooLong: "request line too long"
        case .invalidMethod: "invalid method"
        case .invalidRequestLine: "malformed request line"
        case .invalidTarget: "invalid request target"
        case .targetFormNotAllowed: "request target form not allowed for this method"
        case .invalidVersion: "malformed HTTP version"
        case .unsupportedVersion: "HTTP version not supported"
        case .http2Preface: "HTTP/2 connection preface: HTTP/2 is off"
        case .fieldTooLong: "header field too long"
        case .tooManyFields: "too many header fields"
        case .headTooLarge: "request head too large"
        case .invalidFieldName: "invalid header field name"
        case .whitespaceBeforeColon: "whitespace before colon in header field"
        case .missingColon: "header field without colon"
        case .invalidFieldValue: "invalid character in header field value"
        case .obsFold: "obsolete line folding"
        case .whitespaceAfterRequestLine: "whitespace after request line"
        case .missingHost: "missing Host"
        case .duplicateHost: "duplicate Host"
        case .invalidHost: "invalid Host"
        case .invalidContentLength: "invalid Content-Length"
        case .contentLengthOverflow: "Content-Length out of range"
        case .duplicateContentLength: "conflicting Content-Length"
        case .contentLengthWithTransferEncoding: "Content-Length with Transfer-Encoding"
        case .transferEncodingInHTTP10: "Transfer-Encoding in HTTP/1.0"
        case .invalidTransferEncoding: "invalid Transfer-Encoding"
        case .chunkedNotFinal: "Transfer-Encoding does not end in chunked"
        case .repeatedChunked: "chunked applied more than once"
        case .unsupportedTransferEncoding: "unsupported transfer coding"
        case .bodyTooLarge: "request body too large"
        case .invalidChunkSize: "invalid chunk size"
        case .chunkSizeOverflow: "chunk size out of range"
        case .invalidChunkExtension: "invalid chunk extension"
        case .chunkExtensionTooLong: "chunk extension too long"
        case .missingChunkTerminator: "chunk data not followed by CRLF"
        case .trailerTooLarge: "trailer section too large"
        case .forbiddenTrailer: "forbidden trailer field"
        case .incompleteHead: "connection closed in request head"
        case .incompleteBody: "connection closed in request body"
        }
    }
}

/// A CGI variable a WSGI server sets from the request (PEP 3333 "environ Variables", with RFC 3875's
/// names), besides the `HTTP_*` variables of header fields. `REQUEST_URI` and `RAW_URI` are
/// gunicorn's additions (the target as sent), which frameworks look for. Raw values number the
/// cases in order, for tables indexed by variable.
public enum CGIVariable: Int, CaseIterable, Sendable {
    case requestMethod, scriptName, pathInfo, queryString, contentType, contentLength
    case serverName, serverPort, serverProtocol, serverSoftware, gatewayInterface
    case remoteAddr, remotePort, requestURI, rawURI

    /// The environ key.
    public var name: String {
        switch self {
        case .requestMethod: return "REQUEST_METHOD"
        case .scriptName: return "SCRIPT_NAME"
        case .pathInfo: return "PATH_INFO"
        case .queryString: return "QUERY_STRING"
        case .contentType: return "CONTENT_TYPE"
        case .contentLength: return "CONTENT_LENGTH"
        case .serverName: return "SERVER_NAME"
        case .serverPort: return "SERVER_PORT"
        case .serverProtocol: return "SERVER_PROTOCOL"
        case .serverSoftware: return "SERVER_SOFTWARE"
        case .gatewayInterface: return "GATEWAY_INTERFACE"
        case .remoteAddr: return "REMOTE_ADDR"
        case .remotePort: return "REMOTE_PORT"
        case .requestURI: return "REQUEST_URI"
        case .rawURI: return "RAW_URI"
        }
    }

    /// The variable whose environ key is `name`, if any.
    public init?(name: String) {
        switch name {
        case "PATH_INFO": self = .pathInfo
        case "REQUEST_METHOD": self = .requestMethod
        case "QUERY_STRING": self = .queryString
        case "SCRIPT_NAME": self = .scriptName
        case "CONTENT_TYPE": self = .contentType
        case "CONTENT_LENGTH": self = .contentLength
        case "SERVER_NAME": self = .serverName
        case "SERVER_PORT": self = .serverPort
        case "SERVER_PROTOCOL": self = .serverProtocol
        case "SERVER_SOFTWARE": self = .serverSoftware
        case "GATEWAY_INTERFACE": self = .gatewayInterface
        case "REMOTE_ADDR": self = .remoteAddr
        case "REMOTE_PORT": self = .remotePort
        case "REQUEST_URI": self = .requestURI
        case "RAW_URI": self = .rawURI
        default: return nil
        }
    }
}

/// The name of an environ entry as ``CGIVariables/forEach(_:)`` delivers it.
public enum CGIName {
    /// One of the fixed variables.
    case variable(CGIVariable)
    /// The `HTTP_*` variable of the header field named `fieldName` (bytes as sent, valid during the
    /// call; see ``CGIVariables/withHeaderKey(fieldName:_:)`` for the key).
    case header(fieldName: UnsafeRawBufferPointer)
}

import Glibc

/// The command line a command parses: the settings of a gunicorn config file (`-c FILE`), then
/// those of `SWIFT_WSGI_CMD_ARGS` (gunicorn's `GUNICORN_CMD_ARGS`), then the real arguments; a
/// setting given by a later source replaces it in the earlier ones, so flags win over both.
///
/// The sources are merged as argument lists, which the command's ArgumentParser definition then
/// reads as one: every value is checked by the same code, whichever source it came from.
public enum ArgumentSources {
    public static let environmentVariable = "SWIFT_WSGI_CMD_ARGS"

    /// Options that take no value (all others take one, as `--name VALUE` or `--name=VALUE`).
    static let flags: Set<String> = ["--check-config", "--reload", "--preload", "--request-start-header", "--help", "--version"]
    /// gunicorn's short forms, and ours.
    static let shortForms: [String: String] = ["-b": "--bind", "-w": "--workers", "-c": "--config", "-t": "--timeout", "-k": "--worker-class", "-h": "--help"]

    /// The merged arguments for `command` (which loads applications when `takesApplication`).
    public static func resolve(_ arguments: [String], command: String, takesApplication: Bool) throws -> [String] {
        let environment = try getenv(environmentVariable).map { try split(String(cString: $0)) } ?? []
        let given = Parsed(arguments)
        let fromEnvironment = Parsed(environment)
        var layers = [fromEnvironment, given]
        if let path = given.value(of: "--config") ?? fromEnvironment.value(of: "--config") {
            let settings = try GunicornConfig.read(path, python: ProgramInvocation.current.python)
            let fromFile = Parsed(GunicornConfig.arguments(for: settings, command: command, takesApplication: takesApplication))
            layers.insert(fromFile, at: 0)
        }
        var merged: [String] = []
        for (index, layer) in layers.enumerated() {
            let later = layers[(index + 1)...]
            let laterNames = Set(later.flatMap { $0.options.map(\.name) })
            let laterHasPositional = later.contains { !$0.positionals.isEmpty }
            for option in layer.options where !laterNames.contains(option.name) { merged += option.tokens }
            if !laterHasPositional { merged += layer.positionals }
        }
        return merged
    }

    /// One source's arguments, grouped: each option with its value, and the positionals.
    struct Parsed {
        struct Option {
            /// The canonical long name (`--bind` for `-b`).
            let name: String
            let tokens: [String]
        }

        var options: [Option] = []
        var positionals: [String] = []

        init(_ arguments: [String]) {
            var index = 0
            var onlyPositionals = false
            while index < arguments.count {
                let token = arguments[index]
                index += 1
                if onlyPositionals || !token.hasPrefix("-") || token == "-" {
                    positionals.append(token)
                    continue
                }
                if token == "--" {
                    onlyPositionals = true
                    continue
                }
                if let equals = token.firstIndex(of: "="), token.hasPrefix("--") {
                    options.append(Option(name: String(token[..<equals]), tokens: [token]))
                    continue
                }
                // `-b127.0.0.1:8000`: a short form with its value attached.
                if !token.hasPrefix("--"), token.count > 2, let long = ArgumentSources.shortForms[String(token.prefix(2))] {
                    options.append(Option(name: long, tokens: [long, String(token.dropFirst(2))]))
                    continue
                }
                let name = ArgumentSources.shortForms[token] ?? token
                if ArgumentSources.flags.contains(name) || index >= arguments.count {
                    options.append(Option(name: name, tokens: [token]))
                } else {
                    options.append(Option(name: name, tokens: [token, arguments[index]]))
                    index += 1
                }
            }
        }

        /// The value of the last `name` option.
        func value(of name: String) -> String? {
            guard let option = options.last(where: { $0.name == name }) else { return nil }
            if option.tokens.count == 2 { return option.tokens[1] }
            guard let equals = option.tokens[0].firstIndex(of: "=") else { return nil }
            return String(option.tokens[0][option.tokens[0].index(after: equals)...])
        }
    }

    /// Splits `text` into arguments as a POSIX shell would (Python's `shlex.split`, which gunicorn
    /// applies to `GUNICORN_CMD_ARGS`): whitespace separates, quotes group, backslash escapes.
    static func split(_ text: String) throws -> [String] {
        var arguments: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in text {
            if escaped {
                current.append(character)
                escaped = false
            } else if let open = quote {
                if character == open {
                    quote = nil
                } else if character == "\\" && open == "\"" {
                    escaped = true
                } else {
                    current.append(character)
                }
            } else if character == "\\" {
                escaped = true
                inWord = true
            } else if character == "\"" || character == "'" {
                quote = character
                inWord = true
            } else if character == " " || character == "\t" || character == "\n" {
                if inWord { arguments.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        guard quote == nil, !escaped else { throw CommandLineError("\(environmentVariable): unterminated quote or escape in \(text.debugDescription)") }
        if inWord { arguments.append(current) }
        return arguments
    }
}

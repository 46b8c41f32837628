import ArgumentParser

/// Parses the arguments and runs `command` as ArgumentParser's `main()` does, and returns its exit
/// status instead of exiting (a command run inside a Python program returns to it), except that:
/// - the arguments are those of ``ArgumentSources`` (a gunicorn config file, `SWIFT_WSGI_CMD_ARGS`,
///   then the command line's, `invocation.arguments`);
/// - a usage error is status 2 (as gunicorn and most Unix commands do; ArgumentParser's own is 64),
///   a ``CommandLineError`` too, with its one line;
/// - `failure` may turn other errors into an exit status (having reported them itself; nil leaves
///   the error to ArgumentParser).
public func runCommand<Command: ParsableCommand>(
    _ command: Command.Type, invocation: ProgramInvocation = .executable, takesApplication: Bool = false,
    failure: (any Error) -> Int32? = { _ in nil }
) -> Int32 {
    ProgramInvocation.current = invocation
    let name = Command.configuration.commandName ?? "server"
    do {
        let arguments = try ArgumentSources.resolve(invocation.arguments, command: name, takesApplication: takesApplication)
        var parsed = try command.parseAsRoot(arguments)
        try parsed.run()
        return 0
    } catch let error as CommandLineError {
        printLine("Error: \(error.description)", to: 2)
        return 2
    } catch {
        let code = command.exitCode(for: error)
        if code == .validationFailure {
            printLine(command.fullMessage(for: error), to: 2)
            return 2
        }
        if let status = failure(error) { return status }
        // Help, version and other messages ArgumentParser prints itself, then their status.
        let message = command.fullMessage(for: error)
        if !message.isEmpty { printLine(message, to: code == .success ? 1 : 2) }
        return code.rawValue
    }
}

import Foundation
import Glibc

extension Process {
    /// Waits until the child exits and returns its exit status, or the signal that ended it (as
    /// `terminationStatus` does); nil after `timeout` seconds.
    ///
    /// Reaps the child itself when Foundation has not: while an exit test of Swift Testing runs,
    /// its monitor thread waits on every child of the test process, and Foundation was seen to
    /// miss an exit then, leaving a zombie that `waitUntilExit()` waits for forever.
    public func waitForExit(timeout: Double = 30) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        let pid = processIdentifier
        while Date() < deadline {
            if !isRunning { return terminationStatus }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                return status & 0x7F == 0 ? (status >> 8) & 0xFF : status & 0x7F
            }
            usleep(5000)
        }
        return nil
    }
}

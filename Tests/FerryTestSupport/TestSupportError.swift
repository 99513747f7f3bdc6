/// Any failure of the integration-test infrastructure (a tool missing, a process failing,
/// a registry not starting). `description` carries the details, including log tails.
public struct TestSupportError: Error, CustomStringConvertible, Sendable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

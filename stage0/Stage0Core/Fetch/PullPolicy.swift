import RktCommon

/// When to go to the network (rkt: `--pull-policy`, Documentation/image-fetching-behavior.md).
public enum PullPolicy: String, CaseIterable, Sendable {
    /// Use what the store has; fetch only what is missing (default of run/prepare).
    case new
    /// Always check the remote, honouring max-age and ETag (default of fetch).
    case update
    /// Never touch the network.
    case never

    public init(parsing s: String) throws {
        guard let p = PullPolicy(rawValue: s) else {
            throw RktError("invalid pull policy \"\(s)\"; valid policies are: new, update, never")
        }
        self = p
    }
}

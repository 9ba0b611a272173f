import RktJSON

/// JSON on stdout the way rkt's Go code prints it: `json.Marshal` (compact) or
/// `json.MarshalIndent(v, "", "\t")` (pretty, tab-indented).
public enum JSONOutput {
    public static func render(_ value: JSONValue, pretty: Bool) -> String {
        let s = value.serializedString(pretty: pretty)
        return pretty ? tabIndented(s) : s
    }

    /// RktJSON indents with four spaces; rkt's pretty output uses tabs. String contents never
    /// hold a raw newline (they are escaped), so leading spaces are always indentation.
    static func tabIndented(_ s: String) -> String {
        s.split(separator: "\n" as Character, omittingEmptySubsequences: false).map { (line: Substring) -> String in
            let spaces = line.prefix { $0 == " " }.count
            return String(repeating: "\t", count: spaces / 4) + String(repeating: " ", count: spaces % 4)
                + line.dropFirst(spaces)
        }.joined(separator: "\n")
    }
}

import RktJSON
import Testing

@Suite("JSON parser")
struct JSONParserTests {
    @Test("parses every value kind with integers kept exact")
    func kinds() throws {
        let v = try parseJSON(#"{"n":null,"t":true,"f":false,"i":-42,"d":1.5,"s":"x","a":[1,2],"o":{}}"#)
        #expect(v["n"] == .null)
        #expect(v["t"] == .bool(true))
        #expect(v["f"] == .bool(false))
        #expect(v["i"] == .int(-42))
        #expect(v["d"] == .double(1.5))
        #expect(v["s"] == .string("x"))
        #expect(v["a"] == .array([.int(1), .int(2)]))
        #expect(v["o"] == .object(JSONObject()))
    }

    @Test("keeps object key order")
    func keyOrder() throws {
        let v = try parseJSON(#"{"z":1,"a":2,"m":3}"#)
        #expect(v.objectValue?.keys == ["z", "a", "m"])
    }

    @Test("a duplicate key keeps the last value, as Go does")
    func duplicateKeys() throws {
        let v = try parseJSON(#"{"a":1,"b":2,"a":3}"#)
        #expect(v["a"] == .int(3))
        #expect(v.objectValue?.keys == ["a", "b"])
    }

    @Test(
        "big and edge numbers",
        arguments: [
            // (text, expected)
            ("9223372036854775807", JSONValue.int(Int64.max)),
            ("-9223372036854775808", .int(Int64.min)),
            ("9223372036854775808", .double(9223372036854775808.0)),
            ("0", .int(0)),
            ("-0", .int(0)),
            ("1e3", .double(1000)),
            ("1E-2", .double(0.01)),
            ("123.456e+2", .double(12345.6)),
        ])
    func numbers(text: String, expected: JSONValue) throws {
        #expect(try parseJSON(text) == expected)
    }

    @Test(
        "decodes string escapes",
        arguments: [
            (#""a\"b""#, "a\"b"),
            (#""\\\/\b\f\n\r\t""#, "\\/\u{08}\u{0C}\n\r\t"),
            (#""\u00e9\u4e2d""#, "é中"),
            (#""\ud83d\ude00""#, "😀"),
            (#""\ud83d""#, "\u{FFFD}"),
            (#""é raw""#, "é raw"),
        ])
    func escapes(text: String, expected: String) throws {
        #expect(try parseJSON(text) == .string(expected))
    }

    @Test(
        "rejects malformed input with the byte offset",
        arguments: [
            // (input, offset of the error)
            ("", 0),
            ("{", 1),
            ("[1,]", 3),
            (#"{"a":1,}"#, 7),
            ("01", 0),
            ("1.", 2),
            ("-", 1),
            ("tru", 0),
            ("nul", 0),
            (#"{"a" 1}"#, 5),
            (#"{a:1}"#, 1),
            ("[1 2]", 3),
            ("1 2", 2),
            (#""\x""#, 2),
            (#""\u12g4""#, 5),
            ("'a'", 0),
            ("[1] // c", 4),
        ])
    func rejects(input: String, offset: Int) {
        let err = #expect(throws: JSONError.self) { try parseJSON(input) }
        #expect(err?.offset == offset)
    }

    @Test("rejects raw control characters and invalid UTF-8 in strings")
    func rejectsBadStrings() {
        #expect(throws: JSONError.self) { try parseJSON([0x22, 0x0a, 0x22]) }
        #expect(throws: JSONError.self) { try parseJSON([0x22, 0xff, 0x22]) }
        #expect(throws: JSONError.self) { try parseJSON([0x22, 0x5c, 0x6e, 0xc3, 0x22]) }
    }

    @Test("enforces the nesting depth limit")
    func depth() throws {
        let ok = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: Never.self) { try parseJSON(ok) }
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        let err = #expect(throws: JSONError.self) { try parseJSON(deep) }
        #expect(err?.message.contains("depth") == true)
        #expect(throws: JSONError.self) { try parseJSON("[[[1]]]", maxDepth: 2) }
    }

    @Test("rejects numbers that overflow a double")
    func hugeNumber() {
        #expect(throws: JSONError.self) { try parseJSON("1e400") }
    }

    @Test("accepts surrounding whitespace")
    func whitespace() throws {
        #expect(try parseJSON(" \n\t{ \"a\" : [ 1 , 2 ] }\r\n ")["a"]?[1] == .int(2))
    }
}

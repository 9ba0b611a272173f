import RktJSON
import Testing

struct CodableInner: Codable, Equatable {
    var exec: [String]
    var flag: Bool?
}

struct CodableOuter: Codable, Equatable {
    var name: String
    var count: Int
    var size: UInt64
    var ratio: Double
    var app: CodableInner
    var tags: [String: Int]
    var raw: JSONValue
    var opt: String?
}

@Suite("JSON Codable")
struct JSONCodableTests {
    let sample = CodableOuter(
        name: "x", count: -3, size: 18_446_744_073_709_551_615 >> 12, ratio: 0.25, app: CodableInner(exec: ["/bin/sh", "-c"], flag: true),
        tags: ["a": 1], raw: ["k": [1, "two"]], opt: nil)

    @Test("encode then decode gives back the same value")
    func roundTrip() throws {
        let bytes = try encodeJSON(sample)
        #expect(try decodeJSON(CodableOuter.self, from: bytes) == sample)
        let pretty = try encodeJSON(sample, pretty: true)
        #expect(try decodeJSON(CodableOuter.self, from: pretty) == sample)
    }

    @Test("keys come out in encode order and nil optionals are omitted")
    func keyOrder() throws {
        let s = try encodeJSONString(CodableInner(exec: ["a"], flag: nil))
        #expect(s == #"{"exec":["a"]}"#)
        let o = try encodeJSONValue(sample).objectValue?.keys
        #expect(o == ["name", "count", "size", "ratio", "app", "tags", "raw"])
    }

    @Test("unknown keys are ignored")
    func unknownKeys() throws {
        let v = try decodeJSON(CodableInner.self, from: #"{"exec":["x"],"somethingElse":{"deep":[1]}}"#)
        #expect(v == CodableInner(exec: ["x"], flag: nil))
    }

    @Test("type mismatches name the coding path")
    func pathInErrors() throws {
        let text = #"{"name":"x","count":1,"size":1,"ratio":1,"app":{"exec":["ok",5]},"tags":{},"raw":null}"#
        let err = #expect(throws: JSONError.self) { try decodeJSON(CodableOuter.self, from: text) }
        #expect(err?.path == "app.exec[1]")
        #expect(err?.description == "app.exec[1]: expected string, found number")
    }

    @Test("a missing required field names its path")
    func missingField() {
        let err = #expect(throws: JSONError.self) { try decodeJSON(CodableInner.self, from: #"{"flag":true}"#) }
        #expect(err?.path == "exec")
    }

    @Test("a bool field rejects a number")
    func boolIsNotNumber() {
        #expect(throws: JSONError.self) { try decodeJSON(CodableInner.self, from: #"{"exec":[],"flag":1}"#) }
    }

    @Test("an Int field rejects fractions and out-of-range values")
    func intStrict() throws {
        #expect(throws: JSONError.self) { try decodeJSON(Int.self, from: "1.5") }
        #expect(throws: JSONError.self) { try decodeJSON(UInt8.self, from: "256") }
        #expect(throws: JSONError.self) { try decodeJSON(UInt64.self, from: "-1") }
        #expect(try decodeJSON(Int.self, from: "7") == 7)
        #expect(try decodeJSON(Double.self, from: "7") == 7.0)
        #expect(try decodeJSON(UInt64.self, from: "18446744073709549568") == 18_446_744_073_709_549_568)
    }

    @Test("null counts as absent for optionals")
    func nullOptional() throws {
        #expect(try decodeJSON(CodableInner.self, from: #"{"exec":[],"flag":null}"#) == CodableInner(exec: [], flag: nil))
    }

    @Test("JSONValue decodes itself verbatim")
    func rawValue() throws {
        let v = try decodeJSON(JSONValue.self, from: #"{"b":[1,2.5,"s",null],"a":{}}"#)
        #expect(v.objectValue?.keys == ["b", "a"])
        #expect(try encodeJSONString(v) == #"{"b":[1,2.5,"s",null],"a":{}}"#)
    }

    @Test("non-finite doubles cannot be encoded")
    func nonFinite() {
        #expect(throws: JSONError.self) { try encodeJSON([Double.nan]) }
    }

    @Test("syntax errors surface through decodeJSON")
    func syntaxError() {
        let err = #expect(throws: JSONError.self) { try decodeJSON(CodableInner.self, from: #"{"exec":[}"#) }
        #expect(err?.offset == 9)
    }
}

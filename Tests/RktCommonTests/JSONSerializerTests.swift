import RktJSON
import Testing

@Suite("JSON serializer")
struct JSONSerializerTests {
    @Test("compact output has no whitespace and keeps key order")
    func compact() throws {
        let v: JSONValue = ["b": 1, "a": [true, nil, "x"], "c": [:]]
        #expect(v.serializedString() == #"{"b":1,"a":[true,null,"x"],"c":{}}"#)
    }

    @Test("pretty output matches Go's MarshalIndent with four spaces")
    func pretty() throws {
        let v: JSONValue = ["acKind": "ImageManifest", "labels": [["name": "os", "value": "linux"]], "empty": [], "o": [:]]
        let expected = """
            {
                "acKind": "ImageManifest",
                "labels": [
                    {
                        "name": "os",
                        "value": "linux"
                    }
                ],
                "empty": [],
                "o": {}
            }
            """
        #expect(v.serializedString(pretty: true) == expected)
    }

    @Test(
        "escapes strings like Go",
        arguments: [
            ("a\"b\\c", #""a\"b\\c""#),
            ("\n\r\t", #""\n\r\t""#),
            ("\u{08}\u{0C}\u{01}\u{1F}", #""\u0008\u000c\u0001\u001f""#),
            ("<a&b>", #""\u003ca\u0026b\u003e""#),
            ("\u{2028}x\u{2029}", #""\u2028x\u2029""#),
            ("é中😀/", "\"é中😀/\""),
        ])
    func escapes(input: String, expected: String) {
        #expect(JSONValue.string(input).serializedString() == expected)
    }

    @Test(
        "formats numbers like Go",
        arguments: [
            (JSONValue.int(-9223372036854775808), "-9223372036854775808"),
            (.double(1.5), "1.5"),
            (.double(100), "100"),
            (.double(0.000001), "0.000001"),
            (.double(0.0000001), "1e-7"),
            (.double(1e20), "100000000000000000000"),
            (.double(1e21), "1e+21"),
            (.double(-2.5e-10), "-2.5e-10"),
            (.double(1.5e300), "1.5e+300"),
            (.double(123456.789), "123456.789"),
            (.double(0.1), "0.1"),
        ])
    func numbers(value: JSONValue, expected: String) {
        #expect(value.serializedString() == expected)
    }

    @Test("parse then serialize round-trips byte for byte")
    func roundTrip() throws {
        let text = #"{"z":[1,-2,3.25,"\u003c\n",{"k":null}],"a":false,"big":9223372036854775807}"#
        #expect(try parseJSON(text).serializedString() == text)
    }

    @Test("a 1 MB document parses and serializes quickly")
    func large() throws {
        var items: [JSONValue] = []
        for i in 0..<15_000 {
            items.append(["name": .string("label-\(i)"), "value": .string("some value with \"quotes\" \(i)"), "n": .int(Int64(i))])
        }
        let bytes = JSONValue.object(JSONObject([("labels", .array(items))])).serialized()
        #expect(bytes.count > 1_000_000)
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            let v = try parseJSON(bytes)
            #expect(v["labels"]?[14_999]?["n"] == .int(14_999))
            #expect(v.serialized() == bytes)
        }
        // Debug builds are slow; this still catches accidental quadratic behaviour.
        #expect(elapsed < .seconds(3))
    }
}

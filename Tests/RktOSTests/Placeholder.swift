import Testing
@Test func placeholderRktOSTests() { #expect(Bool(true)) }

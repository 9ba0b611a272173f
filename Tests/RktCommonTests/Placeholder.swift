import Testing
@Test func placeholderRktCommonTests() { #expect(Bool(true)) }

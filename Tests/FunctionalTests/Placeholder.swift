import Testing
@Test func placeholderFunctionalTests() { #expect(Bool(true)) }

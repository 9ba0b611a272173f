import Testing
@Test func placeholderStage0Tests() { #expect(Bool(true)) }

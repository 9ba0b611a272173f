import Testing
@Test func placeholderStage1Tests() { #expect(Bool(true)) }

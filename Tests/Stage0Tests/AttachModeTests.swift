import RktCommon
import Stage0
import Stage0Core
import Testing

/// `rkt attach --mode` → the attach entrypoint's flags (rkt-architecture.md §9).
@Suite("attach modes")
struct AttachModeTests {
    @Test("list and auto map to their actions")
    func actions() throws {
        #expect(try Pod.attachFlags(mode: "list") == ["--action=list"])
        #expect(try Pod.attachFlags(mode: "auto") == ["--action=auto-attach"])
    }

    @Test("tty means tty-in and tty-out; streams are passed one by one")
    func custom() throws {
        #expect(try Pod.attachFlags(mode: "tty") == [
            "--action=custom-attach", "--tty-in=true", "--tty-out=true", "--stdin=false", "--stdout=false", "--stderr=false",
        ])
        #expect(try Pod.attachFlags(mode: "stdin,stderr") == [
            "--action=custom-attach", "--tty-in=false", "--tty-out=false", "--stdin=true", "--stdout=false", "--stderr=true",
        ])
    }

    @Test("unknown endpoints and tty mixed with streams are refused", arguments: ["bogus", "tty,stdout", "tty-in,stdin", "stdout,", ""])
    func refused(mode: String) {
        #expect(throws: RktError.self) { try Pod.attachFlags(mode: mode) }
    }
}

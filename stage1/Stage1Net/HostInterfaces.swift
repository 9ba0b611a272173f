import Glibc

/// The host's network interfaces, read with getifaddrs in the caller's network namespace.
enum HostInterfaces {
    /// Names of the interfaces that carry the IPv4 address `ip` (ptp gives every pod's host-side
    /// veth the network's gateway address, so there can be several).
    static func named(withIPv4 ip: String) -> [String] {
        guard !ip.isEmpty else { return [] }
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return [] }
        defer { freeifaddrs(list) }
        var names: [String] = []
        var cursor = list
        while let entry = cursor {
            cursor = entry.pointee.ifa_next
            guard let sa = entry.pointee.ifa_addr, sa.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            var addr = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            var buf = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            guard inet_ntop(AF_INET, &addr, &buf, socklen_t(buf.count)) != nil else { continue }
            if String(cString: buf) == ip, !names.contains(String(cString: entry.pointee.ifa_name)) {
                names.append(String(cString: entry.pointee.ifa_name))
            }
        }
        return names
    }
}

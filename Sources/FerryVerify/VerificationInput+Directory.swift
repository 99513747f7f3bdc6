import FerryArchive
import FerryCore
import FerryFormat
import Foundation

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Directory

extension VerificationInput {
    static func directory(_ root: String, log: inout ProblemLog) throws -> VerificationInput {
        let hasIndex = FileSystem.fileSize("\(root)/index.json") != nil
        guard hasIndex || FileSystem.exists("\(root)/oci-layout") else {
            throw FerryFormatError.input(path: root, reason: "is a directory without oci-layout or index.json, not an OCI layout")
        }
        var members: [String: Member] = [:]
        for name in ["oci-layout", "index.json", "manifest.json", ContentIndex.memberName] {
            if let size = FileSystem.fileSize("\(root)/\(name)") {
                members[name] = Member(name: name, size: size, dataOffset: 0, headerOffset: nil)
            }
        }
        var files: [Member] = []
        let manager = FileManager.default
        let algorithms: [String]
        do {
            algorithms = FileSystem.isDirectory("\(root)/blobs") ? try manager.contentsOfDirectory(atPath: "\(root)/blobs").sorted() : []
            for algorithm in algorithms {
                let folder = "blobs/\(algorithm)"
                guard FileSystem.isDirectory("\(root)/\(folder)") else {
                    log.add(.unexpectedMember, member: folder, scope: .none, "\(folder) is not a directory")
                    continue
                }
                for name in try manager.contentsOfDirectory(atPath: "\(root)/\(folder)").sorted() {
                    let relative = "\(folder)/\(name)"
                    guard let size = FileSystem.fileSize("\(root)/\(relative)") else {
                        log.add(.unexpectedMember, member: relative, scope: .none, "\(relative) is not a regular file")
                        continue
                    }
                    let member = Member(name: relative, size: size, dataOffset: 0, headerOffset: nil)
                    members[relative] = member
                    files.append(member)
                }
            }
        } catch {
            throw FerryFormatError.input(path: root, reason: "cannot list blobs/: \(error)")
        }
        let (blobs, _) = blobMembers(files, log: &log)
        return VerificationInput(path: root, container: .directory(root), kind: .ociLayout, members: members,
                                 blobs: blobs, shadowingBlobs: [], listed: true)
    }
}

import FerryArchive
import FerryCore
import FerryFormat
import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension BundleVerifier {
    /// Checks the signature over the exact content index bytes; nil when it holds. The member
    /// is preferred; the sidecar serves a bundle whose member was stripped.
    static func signatureProblem(_ input: VerificationInput?, sidecar: String, key: VerifyingKey) -> VerificationProblem? {
        func problem(_ message: String) -> VerificationProblem {
            VerificationProblem(kind: .signature, member: BundleSignature.memberName, digest: nil, expected: key.keyID, actual: nil,
                                offset: nil, length: nil, affectedImages: [], message: message)
        }
        let contentIndex: [UInt8]
        do {
            guard let input, let member = input.members[ContentIndex.memberName] else {
                throw FerryFormatError.input(path: input?.path ?? sidecar, reason: "has no \(ContentIndex.memberName) member")
            }
            contentIndex = try input.read(member, limit: 64 << 20)
        } catch {
            return problem("the signature cannot be checked: the bundle or its ferry-index.json is unreadable (\(error))")
        }
        var candidates: [(String, [UInt8])] = []
        if let member = input?.members[BundleSignature.memberName], let bytes = try? input?.read(member, limit: 4096) {
            candidates.append(("member", bytes))
        }
        if let data = FileManager.default.contents(atPath: sidecar) { candidates.append(("sidecar \(sidecar)", Array(data))) }
        guard !candidates.isEmpty else {
            return problem("the bundle is not signed (no \(BundleSignature.memberName) member, no \(sidecar)), but a key was given")
        }
        var reasons: [String] = []
        for (source, bytes) in candidates {
            guard let signature = try? BundleSignature.decode(Array(bytes.prefix { $0 != 0x0a })) else {
                reasons.append("\(source): not a ferry signature")
                continue
            }
            if signature.verifies(contentIndex, with: key) { return nil }
            reasons.append(signature.keyID == key.keyID ? "\(source): does not match the content index (changed after signing)"
                                                         : "\(source): made by key \(signature.keyID), not \(key.keyID)")
        }
        return problem("signature check failed: " + reasons.joined(separator: "; "))
    }
}

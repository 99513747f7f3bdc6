import FerryCore
import Testing

/// Rule: a digest is validated before it can touch a path or URL.
@Suite struct DigestTests {
    static let valid64 = String(repeating: "0a", count: 32)

    @Test(arguments: [
        "sha256:" + String(repeating: "0a", count: 32),
        "sha512:" + String(repeating: "f1", count: 64),
    ])
    func accepts(_ text: String) throws {
        let digest = try Digest(parsing: text)
        #expect(digest.description == text)
        #expect(digest.layoutPath == "blobs/\(digest.algorithm.rawValue)/\(digest.hex)")
    }

    @Test(arguments: [
        "",                                            // empty
        "sha256",                                      // no colon
        "sha256:../../etc/passwd",                     // traversal
        "md5:d41d8cd98f00b204e9800998ecf8427e",        // unknown algorithm
        "sha256:" + String(repeating: "0A", count: 32),// uppercase
        "sha256:" + String(repeating: "0a", count: 31),// short
        "sha256:" + String(repeating: "0a", count: 33),// long
        "sha256:" + String(repeating: "zz", count: 32),// not hex
        "SHA256:" + String(repeating: "0a", count: 32),// algorithm case
        "sha256:" + String(repeating: "0a", count: 31) + "/a", // slash inside
    ])
    func rejects(_ text: String) {
        #expect(throws: FerryCoreError.self) { try Digest(parsing: text) }
    }

    /// Digests are held as bytes: the text, the order and equality must still be the text's,
    /// for every byte value in every position (a digest built from bytes by the hasher and one
    /// parsed from its hex are the same value).
    @Test(arguments: [Digest.Algorithm.sha256, .sha512])
    func bytesKeepTheTextsOrderAndEquality(_ algorithm: Digest.Algorithm) throws {
        var generator = SystemRandomNumberGenerator()
        let digests = try (0..<200).map { round -> Digest in
            let hex = (0..<algorithm.hexLength).map { position in
                // Mostly random, some sharing long prefixes so later words decide the order.
                let digit = round % 4 == 0 && position < algorithm.hexLength - 3 ? 7 : Int.random(in: 0..<16, using: &generator)
                return String(digit, radix: 16)
            }.joined()
            let digest = try Digest(parsing: "\(algorithm.rawValue):\(hex)")
            #expect(digest.hex == hex)
            #expect(try Digest(parsing: digest.description) == digest)
            #expect(Digest(layoutPath: digest.layoutPath) == digest)
            return digest
        }
        for (left, right) in zip(digests, digests.shuffled()) {
            #expect((left < right) == (left.description < right.description), "\(left) < \(right)")
            #expect((left == right) == (left.description == right.description))
            #expect((left.hashValue == right.hashValue) || left != right)
        }
        let known = try Digest(parsing: "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(DigestHasher.digest(of: Array("abc".utf8)) == known)
        let sha512 = try Digest(parsing: "sha512:" + String(repeating: "f1", count: 64))
        #expect(known < sha512, "sha256 sorts before sha512, as the text does")
    }

    @Test(arguments: ["blobs/sha256", "blobs/sha256/xyz", "blobs/md5/" + String(repeating: "0a", count: 16),
                      "layers/sha256/" + String(repeating: "0a", count: 32), "blobs/sha256/" + String(repeating: "0a", count: 32) + "/x"])
    func otherPathsNameNoDigest(_ path: String) {
        #expect(Digest(layoutPath: path) == nil)
    }

    /// Known answer: SHA-256 of "abc" (FIPS 180-2).
    @Test func hashesKnownAnswer() {
        let digest = DigestHasher.digest(of: Array("abc".utf8))
        #expect(digest.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// Rule: a verifier refuses bytes past the declared size, and checks size before digest.
    @Test func verifierEnforcesSizeThenDigest() throws {
        let data = Array("hello world".utf8)
        let digest = DigestHasher.digest(of: data)

        var exact = BlobVerifier(digest: digest, size: Int64(data.count))
        try data.withUnsafeBytes { try exact.update($0) }
        #expect(try exact.finish() == digest)

        var tooSmall = BlobVerifier(digest: digest, size: 5)
        #expect(throws: FerryCoreError.sizeExceeded(digest: digest, expected: 5, received: 11)) {
            try data.withUnsafeBytes { try tooSmall.update($0) }
        }

        var short = BlobVerifier(digest: digest, size: 20)
        try data.withUnsafeBytes { try short.update($0) }
        #expect(throws: FerryCoreError.sizeMismatch(digest: digest, expected: 20, actual: 11)) { try short.finish() }

        let other = DigestHasher.digest(of: Array("hello worle".utf8))
        var wrong = BlobVerifier(digest: other, size: 11)
        try data.withUnsafeBytes { try wrong.update($0) }
        #expect(throws: FerryCoreError.digestMismatch(expected: other, actual: digest)) { try wrong.finish() }
    }
}

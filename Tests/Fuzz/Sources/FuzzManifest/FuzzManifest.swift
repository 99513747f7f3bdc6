// The JSON documents a bundle or a registry hands ferry: manifests and indexes
// (FerryCore `ParsedManifest`, for each media type a descriptor or `Content-Type` may claim),
// the content index `ferry-index.json`, a split bundle's `parts.json` and the signature member
// (FerryFormat, FerryCore).
import FerryFormat
import FerryCore
import Foundation
import FuzzSupport

/// Every type `parse` distinguishes: the four manifest types and one it must refuse.
let mediaTypes = MediaType.manifestTypes + [MediaType.ociConfig]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Fuzz.bytes(start, count)

    for mediaType in mediaTypes {
        guard let parsed = Fuzz.refusing({ try ParsedManifest.parse(bytes, mediaType: mediaType, digest: nil) }) else { continue }
        // The kind follows the announced media type, whatever the document says
        // (CVE-2021-41190), and what was decoded encodes and decodes to itself.
        let encoded: Data?
        switch parsed {
        case .index(let index):
            Fuzz.check(mediaType.isIndex, "\(mediaType) parsed as an index")
            encoded = Fuzz.refusing { try JSONEncoder().encode(index) }
        case .image(let manifest):
            Fuzz.check(mediaType.isImageManifest, "\(mediaType) parsed as an image manifest")
            encoded = Fuzz.refusing { try JSONEncoder().encode(manifest) }
        }
        guard let encoded else { fatalError("fuzz: a parsed \(mediaType) does not encode") }
        let again = Fuzz.refusing { try ParsedManifest.parse(Array(encoded), mediaType: mediaType, digest: nil) }
        Fuzz.check(again == parsed, "\(mediaType) does not survive encode and parse")
    }

    if let index = Fuzz.refusing({ try ContentIndex.decode(bytes) }) {
        _ = index.knownBlobs
        let encoded = Fuzz.refusing { try index.encoded() }
        Fuzz.check(encoded.flatMap { bytes in Fuzz.refusing { try ContentIndex.decode(bytes) } } == index,
                   "the content index does not survive encoded() and decode")
    }

    if let parts = Fuzz.refusing({ try PartIndex.decode(bytes, path: "parts.json") }) {
        Fuzz.check(parts.parts.allSatisfy { !$0.name.contains("/") && $0.name != ".." && $0.name != "." && !$0.name.isEmpty },
                   "a part name that is not a plain file name was accepted")
        _ = parts.checksumLines
    }

    Fuzz.refusing { try BundleSignature.decode(bytes) }
    return 0
}

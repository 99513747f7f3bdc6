import FerryFormat
import Testing

/// Rule (issue 16): every name derived from a bundle's path comes from `BundleFiles`; these are
/// the names SPEC.md §8 and §11 give, and what users and `sha256sum -c` see.
@Suite struct BundleFilesTests {
    @Test(arguments: [
        ("site-a.tar", 0, "site-a.tar.part-000"), ("site-a.tar", 7, "site-a.tar.part-007"),
        ("site-a.tar", 1234, "site-a.tar.part-1234"), ("/media/usb/b.tar", 12, "/media/usb/b.tar.part-012"),
    ])
    func partNames(_ bundle: String, _ index: Int, _ name: String) {
        #expect(BundleFiles(bundle).part(index) == name)
    }

    @Test func sidecarsAndWorkingFiles() {
        let files = BundleFiles("/media/usb/site-a.tar")
        #expect(files.partIndex == "/media/usb/site-a.tar.parts.json")
        #expect(files.checksums == "/media/usb/site-a.tar.SHA256SUMS")
        #expect(files.signature == "/media/usb/site-a.tar.sig")
        #expect(files.partial == "/media/usb/.site-a.tar.ferry-partial")
        #expect(files.journal == "/media/usb/.site-a.tar.ferry-partial.journal")
        #expect(files.lock == "/media/usb/.site-a.tar.ferry-partial.lock")
        #expect(BundleFiles("out.tar").partial == "./.out.tar.ferry-partial")
    }
}

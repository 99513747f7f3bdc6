public import FerryCore
import FerryInputs
public import FerryRegistry

/// `--chart-deps` (issue 20): the charts a chart's Chart.yaml depends on, and theirs in turn,
/// fetched the way Helm's `dependency update` would fetch them: from the chart repository or
/// OCI registry the dependency names, at the highest version its range allows. Vendored
/// dependencies (`file://`, none) are already inside the chart; repositories named by the
/// user's helm configuration (`@name`) cannot be reached from ferry and are reported.
public struct ChartDependencyResolver: Sendable {
    /// Deeper than any real chart tree; a cycle stops at the charts already seen anyway.
    static let maximumDepth = 16

    public struct Found: Sendable {
        /// Classic-repository charts to export (ChartSource answers for them once added).
        public var charts: [ResolvedChart] = []
        /// OCI charts to export as ordinary references.
        public var references: [ImageReference] = []
        /// Dependencies that could not be fetched, each with its chart and reason.
        public var notes: [String] = []
    }

    let client: RegistryClient
    let source: ChartSource
    let resolver: ChartResolver

    /// `resolver` (the one that resolved the roots) keeps every index.yaml already read.
    public init(client: RegistryClient, source: ChartSource, resolver: ChartResolver) {
        self.client = client
        self.source = source
        self.resolver = resolver
    }

    /// The dependencies of `roots` and of every chart found, level by level.
    public func resolve(_ roots: [ResolvedChart]) async throws -> Found {
        var found = Found()
        var seen = Set(roots.map(\.reference.description))
        var level = roots
        for _ in 0..<Self.maximumDepth where !level.isEmpty {
            var requests: [(parent: ResolvedChart, request: ChartRequest)] = []
            for chart in level {
                for dependency in try await source.metadata(of: chart).dependencies {
                    let parent = "\(chart.request.name) \(chart.entry.version)"
                    switch ChartDependency(dependency) {
                    case .vendored:
                        continue
                    case .unreachable(let reason):
                        found.notes.append("chart \(parent): dependency \(dependency.name): \(reason)")
                    case .repository(let request):
                        requests.append((chart, request))
                    case .oci(let repository, let constraint):
                        let reference = try await pick(repository, constraint: constraint, parent: parent)
                        if seen.insert(reference.description).inserted { found.references.append(reference) }
                    }
                }
            }
            let resolved = try await resolver.resolve(requests.map(\.request))
            level = resolved.filter { seen.insert($0.reference.description).inserted }
            source.add(level)
            found.charts += level
        }
        return found
    }

    /// The tag of `repository` whose version (`_` read as `+`, as Helm does) fits `constraint`
    /// best: the exact version, or the highest the range allows.
    func pick(_ repository: ImageReference, constraint: String, parent: String) async throws -> ImageReference {
        let tags = try await client.listTags(registry: repository.registry, repository: repository.repository)
        let versions = tags.compactMap { tag in SemanticVersion(tag.replacingOccurrences(of: "_", with: "+")).map { (tag, $0) } }
        let wanted = constraint.isEmpty ? "*" : constraint
        if let exact = SemanticVersion(wanted) {
            if let match = versions.first(where: { $0.1 == exact }) { return repository.with(tag: match.0, digest: nil) }
        } else {
            let range: SemverConstraint
            do { range = try SemverConstraint(parsing: wanted, source: parent) } catch {
                throw FerryArtifactsError.request("\(repository.name)@\(wanted)", reason: "dependency of \(parent): \(error)")
            }
            if let best = versions.filter({ range.matches($0.1) }).max(by: { $0.1 < $1.1 }) {
                return repository.with(tag: best.0, digest: nil)
            }
        }
        throw FerryArtifactsError.chartNotFound("\(repository.name)@\(wanted)",
                                                reason: "no tag of \(repository.name) fits \(wanted) (dependency of \(parent); \(tags.count) tags listed)")
    }
}

/**
 * Third-party Go test suites as Debian ships them: each `golang-*-dev` package puts
 * its sources with their tests under /usr/share/gocode/src (GOPATH layout, built with
 * GO111MODULE=off). hack/install-deps installs every package named here. Picked for
 * tests that need no network and run in seconds under arm64 emulation, and for
 * testdata the remote reads through the mount: mimetype's 8 MB of 80 sample files
 * (each one's head), lz4's 13 MB of corpora (read whole).
 */
export const GOPATH = '/usr/share/gocode';

export interface Suite {
  /** The Debian package that ships it. */
  deb: string;
  /** Import path: the directory under $GOPATH/src that go test runs in. */
  importPath: string;
  /** Package patterns, relative to that directory. */
  packages: string[];
  /**
   * Top-level tests left out, with the reason: only ones that cannot behave the same
   * by design. The comparison fails when a name here no longer exists.
   */
  exclude?: { tests: string[]; why: string };
  /**
   * Blocks (`file:start,end` as the profile names them) whose coverage the suite
   * itself makes vary from run to run: compared for presence, not for being covered.
   * The comparison fails when one is no longer in the profile.
   */
  unstableBlocks?: { blocks: string[]; why: string };
}

export const SUITES: Suite[] = [
  { deb: 'golang-github-burntsushi-toml-dev', importPath: 'github.com/BurntSushi/toml', packages: ['./...'] },
  {
    deb: 'golang-github-google-go-cmp-dev',
    importPath: 'github.com/google/go-cmp',
    packages: ['./...'],
    unstableBlocks: {
      blocks: [
        'github.com/google/go-cmp/cmp/internal/diff/diff.go:223.37,224.21',
        'github.com/google/go-cmp/cmp/internal/diff/diff.go:225.8,226.21',
        // isLess's early returns for arrays and structs: which one a sort meets first
        // depends on map order (65.38 was seen to vary in CI; its siblings can as well).
        'github.com/google/go-cmp/cmp/internal/value/sort.go:62.38,64.5',
        'github.com/google/go-cmp/cmp/internal/value/sort.go:65.4,65.38',
        'github.com/google/go-cmp/cmp/internal/value/sort.go:65.38,67.5',
        'github.com/google/go-cmp/cmp/internal/value/sort.go:72.38,74.5',
        'github.com/google/go-cmp/cmp/internal/value/sort.go:75.4,75.38',
        'github.com/google/go-cmp/cmp/internal/value/sort.go:75.38,77.5',
      ],
      why: 'diff.Difference searches forward or reverse first by a coin flip seeded with time.Now().Unix() ("deliberate instability"; internal/diff\'s tests do not set flags.Deterministic); TestSortKeys sorts keys taken from a map, so whether isLess ever finds a struct\'s later value first depends on map order (each varies in 20 local runs alike)',
    },
  },
  { deb: 'golang-github-golang-snappy-dev', importPath: 'github.com/golang/snappy', packages: ['./...'] },
  { deb: 'golang-github-davecgh-go-spew-dev', importPath: 'github.com/davecgh/go-spew', packages: ['./...'] },
  {
    deb: 'golang-github-gabriel-vasile-mimetype-dev',
    importPath: 'github.com/gabriel-vasile/mimetype',
    packages: ['./...'],
    exclude: {
      tests: ['TestGenerateSupportedFormats'],
      why: 'it rewrites supported_mimes.md in its own source directory, which the remote gets read-only (README: Outputs); as root locally it writes into /usr/share/gocode',
    },
  },
  {
    deb: 'golang-github-pierrec-lz4-dev',
    importPath: 'github.com/pierrec/lz4',
    // internal/xxh32's test imports github.com/frankban/quicktest, which Debian's
    // package does not depend on: it does not build locally either.
    packages: ['.'],
  },
];

/** The environment of every go command on a suite. */
export const GOPATH_ENV = { GO111MODULE: 'off', GOPATH, GOWORK: undefined, GOFLAGS: undefined };

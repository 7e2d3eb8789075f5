# Every runtime image, for every supported language version, for amd64 and arm64.
#   docker buildx bake                              build all (the default group)
#   docker buildx bake python-3-13                  one image
#   REGISTRY=ghcr.io/acme TAG=1.2.0 REVISION=$(git rev-parse HEAD) docker buildx bake --push
# Each image is tagged LANGUAGE:VERSION-TAG (pinned: one release of the runtime on one language
# version) and LANGUAGE:VERSION (the latest release on that version); the newest version of each
# language is also LANGUAGE:latest. Builds carry SBOM and provenance attestations, and OCI labels
# (version, source, revision) from the variables below. README "Images" lists which versions are
# tested how.

variable "REGISTRY" {
  # Where the images are pushed: every tag starts with it.
  default = "localhost/kubeless"
}

variable "TAG" {
  # The release: the suffix of every pinned tag and the images' org.opencontainers.image.version.
  default = "dev"
}

variable "SOURCE_URL" {
  # The repository's URL, for the org.opencontainers.image.source label.
  default = ""
}

variable "REVISION" {
  # The commit built, for the org.opencontainers.image.revision label.
  default = ""
}

variable "PYTHON_LATEST" {
  # The Python version tagged python:latest.
  default = "3.15"
}

variable "NODEJS_LATEST" {
  # The Node.js version tagged nodejs:latest (the active LTS line).
  default = "26"
}

group "default" {
  targets = ["python", "nodejs"]
}

# Settings every image shares.
target "_common" {
  context   = "."
  platforms = ["linux/amd64", "linux/arm64"]
  attest    = ["type=provenance,mode=max", "type=sbom"]
}

target "python" {
  name       = "python-${replace(version, ".", "-")}"
  inherits   = ["_common"]
  matrix     = { version = ["3.11", "3.12", "3.13", "3.14", "3.15"] }
  dockerfile = "runtimes/python/Dockerfile"
  args = {
    PYTHON_VERSION = version
    VERSION        = TAG
    SOURCE_URL     = SOURCE_URL
    REVISION       = REVISION
  }
  tags = concat(
    ["${REGISTRY}/python:${version}-${TAG}", "${REGISTRY}/python:${version}"],
    version == PYTHON_LATEST ? ["${REGISTRY}/python:latest"] : [],
  )
}

target "nodejs" {
  name       = "nodejs-${version}"
  inherits   = ["_common"]
  matrix     = { version = ["22", "24", "26"] }
  dockerfile = "runtimes/nodejs/Dockerfile"
  args = {
    NODE_VERSION = version
    VERSION      = TAG
    SOURCE_URL   = SOURCE_URL
    REVISION     = REVISION
  }
  tags = concat(
    ["${REGISTRY}/nodejs:${version}-${TAG}", "${REGISTRY}/nodejs:${version}"],
    version == NODEJS_LATEST ? ["${REGISTRY}/nodejs:latest"] : [],
  )
}

# Every runtime image, for every supported language version, for amd64 and arm64.
#   docker buildx bake                              build all (the default group)
#   docker buildx bake python-3-13                  one image
#   REGISTRY=ghcr.io/acme TAG=1.2.0 docker buildx bake --push
# Each image is tagged LANGUAGE:VERSION-TAG and LANGUAGE:VERSION (the latest build of that version).

variable "REGISTRY" {
  # Where the images are pushed: every tag starts with it.
  default = "localhost/kubeless"
}

variable "TAG" {
  # The release: the suffix of every tag and the images' org.opencontainers.image.version.
  default = "dev"
}

variable "SOURCE_URL" {
  # The repository's URL, for the org.opencontainers.image.source label.
  default = ""
}

group "default" {
  targets = ["python", "nodejs"]
}

# Settings every image shares.
target "_common" {
  context   = "."
  platforms = ["linux/amd64", "linux/arm64"]
}

target "python" {
  name       = "python-${replace(version, ".", "-")}"
  inherits   = ["_common"]
  matrix     = { version = ["3.11", "3.12", "3.13", "3.14"] }
  dockerfile = "runtimes/python/Dockerfile"
  args = {
    PYTHON_VERSION = version
    VERSION        = TAG
    SOURCE_URL     = SOURCE_URL
  }
  tags = [
    "${REGISTRY}/python:${version}-${TAG}",
    "${REGISTRY}/python:${version}",
  ]
}

target "nodejs" {
  name       = "nodejs-${version}"
  inherits   = ["_common"]
  matrix     = { version = ["20", "22", "24"] }
  dockerfile = "runtimes/nodejs/Dockerfile"
  args = {
    NODE_VERSION = version
    VERSION      = TAG
    SOURCE_URL   = SOURCE_URL
  }
  tags = [
    "${REGISTRY}/nodejs:${version}-${TAG}",
    "${REGISTRY}/nodejs:${version}",
  ]
}

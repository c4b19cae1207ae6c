"""The address guard judges IPv6 forms that carry an IPv4 address by the IPv4 inside."""

from __future__ import annotations

import ipaddress

import pytest

from calanque.collect.guard import is_public_ip

EMBEDDED_PRIVATE = [
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:10.0.0.1",  # IPv4-mapped private
    "::127.0.0.1",  # IPv4-compatible loopback
    "::169.254.169.254",  # IPv4-compatible link-local (cloud metadata)
    "64:ff9b::127.0.0.1",  # NAT64 well-known prefix
    "64:ff9b::10.0.0.1",
    "64:ff9b:1::a00:1",  # NAT64 local-use prefix
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1
]
EMBEDDED_PUBLIC = [
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
    "2002:808:808::1",
]


@pytest.mark.parametrize("address", EMBEDDED_PRIVATE)
def test_ipv6_address_embedding_a_private_ipv4_is_not_public(address: str) -> None:
    assert is_public_ip(ipaddress.ip_address(address)) is False


@pytest.mark.parametrize("address", EMBEDDED_PUBLIC)
def test_ipv6_address_embedding_a_public_ipv4_is_public(address: str) -> None:
    assert is_public_ip(ipaddress.ip_address(address)) is True


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "10.1.2.3", "100.64.0.1", "0.0.0.0", "::1", "::", "fe80::1", "fc00::1"]
)
def test_plain_private_addresses_are_not_public(address: str) -> None:
    assert is_public_ip(ipaddress.ip_address(address)) is False

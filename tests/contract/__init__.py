"""Tests of the contract package and of the contract document every check links into."""

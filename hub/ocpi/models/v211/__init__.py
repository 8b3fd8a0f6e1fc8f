"""OCPI 2.1.1 objects (spec tag 2.1.1, markdown; 2.1.1-d2 fixes Commands and Token texts).

2.1.1 differs from 2.2.1 almost everywhere (2.2.1 changelog.asciidoc, "Changes between OCPI 2.1.1
and 2.2"): strings are ASCII only, objects carry no country_code/party_id, ids are string(39),
Sessions and CDRs embed a Location and an auth_id, costs are plain numbers, no interface roles."""

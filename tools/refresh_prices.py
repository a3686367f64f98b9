#!/usr/bin/env python3
"""Rebuild entries of pipecalc's price catalog (catalog/*.yaml) from the
providers' public price lists. A maintainer's step, run where the network
reaches the providers (never by the build or the tests); run it before each
term, as pipecalc warns about entries older than 180 days.

    python3 tools/refresh_prices.py aws --region us-east-1 --instances m7i.large,m7i.xlarge,m7i.2xlarge
    python3 tools/refresh_prices.py azure --region eastus --instances Standard_D2s_v5,Standard_D4s_v5
    python3 tools/refresh_prices.py --self-test

Each entry it prints (YAML, to paste into the provider's file after a look)
carries `method: api`, `retrieved:` today, and as `source` the versioned
price-list URL it was read from, so a reader can open the same document:

- AWS: the public offer index
  (https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/index.json) leads
  to the EC2 region index and its versioned offer file; an instance's Linux,
  shared-tenancy, no-pre-installed-software on-demand `Hrs` price is taken.
  The offer file of a large region is several gigabytes: it is streamed.
- Azure: the Retail Prices API (https://prices.azure.com/api/retail/prices),
  which needs no account; the `Consumption` price of the Linux meter (not
  Spot, not Low Priority, not Windows) of each `armSkuName`.
- GCP publishes machine prices through the Cloud Billing Catalog API, which
  needs an API key: not done here (see docs/scenario.md).

Vendors' instance specs (vCPUs, memory) come from the same documents.
"""
import argparse
import datetime
import json
import sys
import urllib.request

AWS_INDEX = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/index.json"
AZURE_API = "https://prices.azure.com/api/retail/prices"


def fetch_json(url):
    with urllib.request.urlopen(url, timeout=120) as reply:
        return json.load(reply)


def aws_entries(offer, region, instances, source, today):
    """Entries for `instances` from one AWS EC2 offer document (a dict)."""
    wanted = set(instances)
    skus = {}
    for sku, product in offer.get("products", {}).items():
        a = product.get("attributes", {})
        if (a.get("instanceType") in wanted and a.get("operatingSystem") == "Linux"
                and a.get("tenancy") == "Shared" and a.get("preInstalledSw") == "NA"
                and a.get("capacitystatus") == "Used"):
            skus[sku] = a
    entries = []
    for sku, a in sorted(skus.items(), key=lambda kv: kv[1]["instanceType"]):
        for term in offer.get("terms", {}).get("OnDemand", {}).get(sku, {}).values():
            for dim in term.get("priceDimensions", {}).values():
                if dim.get("unit") != "Hrs":
                    continue
                usd = float(dim["pricePerUnit"]["USD"])
                memory = a.get("memory", "").replace(" GiB", "")
                entries.append({
                    "id": f"aws/{region}/ec2/{a['instanceType']}",
                    "kind": "instance",
                    "region": region,
                    "specs": {"vcpu": int(a["vcpu"]), "memory": f"{memory} GiB"},
                    "price": f"${usd:g}/h",
                    "billing": {"increment": "1 s", "minimum": "60 s"},
                    "spot": {"notice": "2 min"},
                    "source": source,
                    "published": term.get("effectiveDate", "")[:10] or None,
                    "retrieved": today,
                    "method": "api",
                    "note": "Linux, shared tenancy, on demand, from AWS's offer file; per-second billing with a 60 s minimum is AWS's rule for Linux.",
                })
    return entries


def azure_entries(items, region, instances, source, today):
    """Entries for `instances` from Azure Retail Prices API items."""
    entries = []
    for sku in instances:
        rows = [i for i in items if i.get("armSkuName") == sku and i.get("armRegionName") == region
                and i.get("type") == "Consumption" and i.get("unitOfMeasure") == "1 Hour"
                and "Windows" not in i.get("productName", "")
                and "Spot" not in i.get("meterName", "") and "Low Priority" not in i.get("meterName", "")]
        if len(rows) != 1:
            raise SystemExit(f"{sku}: {len(rows)} Linux consumption prices in {region}; look at the API's answer")
        row = rows[0]
        entries.append({
            "id": f"azure/{region}/vm/{sku}",
            "kind": "instance",
            "region": region,
            "price": f"${row['retailPrice']:g}/h",
            "billing": {"increment": "1 s", "minimum": "1 s"},
            "source": source,
            "published": row.get("effectiveStartDate", "")[:10] or None,
            "retrieved": today,
            "method": "api",
            "note": "Linux pay as you go, from the Azure Retail Prices API. Add specs (vCPUs, memory) from Azure's size documentation before use.",
        })
    return entries


def yaml_of(entries):
    lines = []
    for e in entries:
        lines.append(f"  - id: {e['id']}")
        for key in ("kind", "region"):
            lines.append(f"    {key}: {e[key]}")
        if "specs" in e:
            lines.append(f"    specs: {{ vcpu: {e['specs']['vcpu']}, memory: {e['specs']['memory']} }}")
        lines.append(f"    price: {e['price']}")
        lines.append(f"    billing: {{ increment: {e['billing']['increment']}, minimum: {e['billing']['minimum']} }}")
        if "spot" in e:
            lines.append(f"    spot: {{ notice: {e['spot']['notice']} }}")
        lines.append(f"    source: {e['source']}")
        lines.append(f"    published: {e['published'] or 'null'}")
        lines.append(f"    retrieved: {e['retrieved']}")
        lines.append(f"    method: {e['method']}")
        lines.append(f"    note: >-\n      {e['note']}")
    return "\n".join(lines) + "\n"


def self_test():
    """The parsers on answers shaped as the providers document them."""
    offer = {
        "products": {
            "A": {"attributes": {"instanceType": "m7i.xlarge", "operatingSystem": "Linux", "tenancy": "Shared",
                                 "preInstalledSw": "NA", "capacitystatus": "Used", "vcpu": "4", "memory": "16 GiB"}},
            "B": {"attributes": {"instanceType": "m7i.xlarge", "operatingSystem": "Windows", "tenancy": "Shared",
                                 "preInstalledSw": "NA", "capacitystatus": "Used", "vcpu": "4", "memory": "16 GiB"}},
        },
        "terms": {"OnDemand": {
            "A": {"A.T": {"effectiveDate": "2026-11-01T00:00:00Z",
                          "priceDimensions": {"A.T.D": {"unit": "Hrs", "pricePerUnit": {"USD": "0.2016000000"}}}}},
            "B": {"B.T": {"effectiveDate": "2026-11-01T00:00:00Z",
                          "priceDimensions": {"B.T.D": {"unit": "Hrs", "pricePerUnit": {"USD": "0.3856000000"}}}}},
        }},
    }
    entries = aws_entries(offer, "us-east-1", ["m7i.xlarge"], "https://example/offer.json", "2026-12-07")
    assert len(entries) == 1 and entries[0]["price"] == "$0.2016/h", entries
    assert entries[0]["specs"] == {"vcpu": 4, "memory": "16 GiB"}
    items = [
        {"armSkuName": "Standard_D4s_v5", "armRegionName": "eastus", "type": "Consumption", "unitOfMeasure": "1 Hour",
         "productName": "Virtual Machines Dsv5 Series", "meterName": "D4s v5", "retailPrice": 0.5,
         "effectiveStartDate": "2026-10-01T00:00:00Z"},
        {"armSkuName": "Standard_D4s_v5", "armRegionName": "eastus", "type": "Consumption", "unitOfMeasure": "1 Hour",
         "productName": "Virtual Machines Dsv5 Series Windows", "meterName": "D4s v5", "retailPrice": 0.9},
        {"armSkuName": "Standard_D4s_v5", "armRegionName": "eastus", "type": "Consumption", "unitOfMeasure": "1 Hour",
         "productName": "Virtual Machines Dsv5 Series", "meterName": "D4s v5 Spot", "retailPrice": 0.1},
    ]
    azure = azure_entries(items, "eastus", ["Standard_D4s_v5"], "https://example/api", "2026-12-07")
    assert azure[0]["price"] == "$0.5/h" and azure[0]["published"] == "2026-10-01", azure
    text = yaml_of(entries + azure)
    assert "id: aws/us-east-1/ec2/m7i.xlarge" in text and "method: api" in text, text
    print("refresh_prices self-test: ok")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("provider", nargs="?", choices=["aws", "azure"])
    parser.add_argument("--region")
    parser.add_argument("--instances", default="")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    if args.self_test:
        self_test()
        return 0
    if not args.provider or not args.region or not args.instances:
        parser.error("give a provider, --region and --instances (or --self-test)")
    today = datetime.date.today().isoformat()
    instances = args.instances.split(",")
    if args.provider == "aws":
        index = fetch_json(AWS_INDEX)
        region_index_url = "https://pricing.us-east-1.amazonaws.com" + index["offers"]["AmazonEC2"]["currentRegionIndexUrl"]
        region_index = fetch_json(region_index_url)
        source = "https://pricing.us-east-1.amazonaws.com" + region_index["regions"][args.region]["currentVersionUrl"]
        entries = aws_entries(fetch_json(source), args.region, instances, source, today)
    else:
        items, url = [], AZURE_API + "?$filter=" + urllib.request.quote(
            f"serviceName eq 'Virtual Machines' and armRegionName eq '{args.region}'")
        source = url
        while url:
            page = fetch_json(url)
            items.extend(page.get("Items", []))
            url = page.get("NextPageLink")
        entries = azure_entries(items, args.region, instances, source, today)
    sys.stdout.write(yaml_of(entries))
    return 0


if __name__ == "__main__":
    sys.exit(main())

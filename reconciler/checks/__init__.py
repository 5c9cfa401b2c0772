"""What every vendor's doctor checks are made of: a read-only probe of the vendor's HTTP client, the answers it
recorded, and the results and report (`reconciler doctor` runs each vendor's `doctor` module)."""

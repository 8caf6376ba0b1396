"""Import of contacts, companies, leads and deals from CSV and XLSX files."""

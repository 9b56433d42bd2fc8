# shellcheck shell=bash
# The kiosk disk's partition table, shared by build.sh and test-layout.sh (sourced).
# Fixed identifiers: the boot entries (rauc-bootloader), /etc/fstab (build.sh) and RAUC's
# slots (rauc-system.conf) name the partitions by them. Root A and data keep the
# PARTUUIDs of the single-root layout; B is new.
disk_guid=6a756e67-616e-4b00-8000-000000000000
esp_partuuid=6a756e67-616e-4b00-8000-000000000001
root_a_partuuid=6a756e67-616e-4b00-8000-000000000002
root_b_partuuid=6a756e67-616e-4b00-8000-000000000004
data_partuuid=6a756e67-616e-4b00-8000-000000000003
# GPT partition types: ESP, root (x86-64) for both slots, Linux generic for data (the only
# one: systemd-repart's definition matches it by type; repart-data.conf).
type_esp=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
type_root=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709
type_data=0FC63DAF-8483-4772-8E79-3D69D8477DE4

# write_partition_table IMG ESP_MIB ROOT_SLOT_MIB DATA_MIB: a sparse IMG of the disk's
# size (1 MiB before and after the partitions) with the GPT:
#   1 anj-efi, 2 anj-root-a, 3 anj-root-b, 4 anj-data (last, so it can grow).
write_partition_table() {
  local img=$1 esp=$2 slot=$3 data=$4
  rm -f "$img"
  truncate -s "$((1 + esp + 2 * slot + data + 1))M" "$img"
  sfdisk --quiet "$img" <<SFDISK
label: gpt
label-id: $disk_guid
unit: sectors
start=2048, size=$((esp * 2048)), type=$type_esp, uuid=$esp_partuuid, name=anj-efi
size=$((slot * 2048)), type=$type_root, uuid=$root_a_partuuid, name=anj-root-a
size=$((slot * 2048)), type=$type_root, uuid=$root_b_partuuid, name=anj-root-b
size=$((data * 2048)), type=$type_data, uuid=$data_partuuid, name=anj-data
SFDISK
}
# Offsets in MiB of the partitions' contents (dd seek=, bs=1M).
esp_offset_mib() { echo 1; }
root_a_offset_mib() { echo $((1 + $1)); }               # ESP_MIB
data_offset_mib() { echo $((1 + $1 + 2 * $2)); }        # ESP_MIB ROOT_SLOT_MIB

//! Validation of compact-array contents against their type description, in time linear in the
//! input and without allocating.
//!
//! A naive check walks the whole description once per value: a description of many zero-size
//! fields (null-data, dont-care, empty structures, arrays of them) beside one octet would then cost
//! the description's size per content octet. Instead:
//! 1. [`outline`] walks the description once and says whether every value has the same size; if
//!    so the contents need only be a multiple of it (or empty for size 0), whatever the
//!    description holds.
//! 2. Otherwise the description (at most [`MAX_DESCRIPTION_NODES`] nodes) is laid out once in a table on the
//!    stack, where each node knows its size when fixed and each run of fixed-size structure fields
//!    its total size. Checking one value then visits only the nodes on the way to its variable-size
//!    fields (octet-, visible-, utf8- and bit-strings, which take at least their length octet) and
//!    steps over each run of fixed-size fields at once: the work per content octet is bounded by
//!    the description's depth, not its size.

use super::tag::{Body, DataType};
use super::walk::skip_bits;
use crate::reader::Reader;
use crate::Error;

/// The most description nodes a compact-array of variable-size values may have (a structure,
/// an array and each simple type are one node each). Descriptions of fixed-size values have no
/// bound beyond the input's size.
pub const MAX_DESCRIPTION_NODES: usize = 256;

/// What one walk of a type description found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outline {
    /// The description's length in octets.
    pub len: usize,
    /// The content octets of one value when `fixed`, else the fewest it can take (saturating).
    pub size: u64,
    /// Whether every value takes `size` octets.
    pub fixed: bool,
    /// Description nodes.
    pub nodes: usize,
    /// Data elements one value expands to (saturating): arrays count their elements.
    pub expanded: u64,
}

/// Validates one type description at the reader. Nodes are at `depth` (the top one) and below;
/// a node deeper than `max_depth` is [`Error::TooDeep`]. Recursion is bounded by `max_depth`,
/// which callers keep at most [`super::walk::DEPTH_CEILING`] + 1.
pub(crate) fn outline(
    r: &mut Reader<'_>,
    depth: usize,
    max_depth: usize,
) -> Result<Outline, Error> {
    let start = r.offset();
    if depth > max_depth {
        return Err(Error::TooDeep {
            offset: start,
            max: max_depth,
        });
    }
    let tag = r.u8("type description")?;
    let data_type = DataType::at(tag, start)?;
    let leaf = |size: u64, fixed: bool| Outline {
        len: 0,
        size,
        fixed,
        nodes: 1,
        expanded: 1,
    };
    let mut shape = match data_type.body() {
        Body::Fixed(n) => leaf(n as u64, true),
        Body::Octets | Body::Bits => leaf(1, false),
        Body::Compact => {
            return Err(Error::BadByte {
                offset: start,
                what: "type description",
                expected: "a type other than compact-array",
                found: tag,
            })
        }
        Body::Elements if data_type == DataType::Array => {
            let count = u64::from(r.u16("number-of-elements")?);
            let element = outline(r, depth + 1, max_depth)?;
            Outline {
                len: 0,
                size: count.saturating_mul(element.size),
                fixed: element.fixed || count == 0,
                nodes: element.nodes.saturating_add(1),
                expanded: count.saturating_mul(element.expanded).saturating_add(1),
            }
        }
        Body::Elements => {
            let fields = r.length("structure description", 1)?;
            let mut shape = leaf(0, true);
            for _ in 0..fields {
                let field = outline(r, depth + 1, max_depth)?;
                shape.size = shape.size.saturating_add(field.size);
                shape.fixed &= field.fixed;
                shape.nodes = shape.nodes.saturating_add(field.nodes);
                shape.expanded = shape.expanded.saturating_add(field.expanded);
            }
            shape
        }
    };
    shape.len = r.offset() - start;
    Ok(shape)
}

/// One description node, laid out in pre-order: an array's element follows it, a structure's
/// fields follow it one subtree after the other.
#[derive(Debug, Clone, Copy, Default)]
struct Node {
    /// The type tag.
    tag: u8,
    /// An array's number-of-elements, a structure's number of fields.
    count: usize,
    /// Nodes in this subtree, itself included.
    nodes: usize,
    /// Whether every value of this node takes `size` octets.
    fixed: bool,
    /// Content octets when `fixed` (saturating).
    size: u64,
    /// For the first of a run of fixed-size structure fields: how many fields the run holds
    /// (0 otherwise), how many nodes and how many content octets.
    run_fields: usize,
    run_nodes: usize,
    run_size: u64,
}

/// Lays out the validated description at the reader from `table[*used]` on.
fn lay_out(
    r: &mut Reader<'_>,
    table: &mut [Node; MAX_DESCRIPTION_NODES],
    used: &mut usize,
) -> Result<usize, Error> {
    let at = r.offset();
    let index = *used;
    if index >= MAX_DESCRIPTION_NODES {
        return Err(Error::Unsupported {
            offset: at,
            what:
                "compact-array type description of more than 256 nodes for values of variable size",
        });
    }
    *used += 1;
    let tag = r.u8("type description")?;
    let data_type = DataType::at(tag, at)?;
    let mut node = Node {
        tag,
        ..Node::default()
    };
    match data_type.body() {
        Body::Fixed(n) => {
            node.fixed = true;
            node.size = n as u64;
        }
        Body::Octets | Body::Bits => {}
        Body::Compact => {
            return Err(Error::BadByte {
                offset: at,
                what: "type description",
                expected: "a type other than compact-array",
                found: tag,
            })
        }
        Body::Elements if data_type == DataType::Array => {
            node.count = usize::from(r.u16("number-of-elements")?);
            let element = lay_out(r, table, used)?;
            let element = table.get(element).copied().unwrap_or_default();
            node.fixed = element.fixed || node.count == 0;
            node.size = (node.count as u64).saturating_mul(element.size);
        }
        Body::Elements => {
            node.count = r.length("structure description", 1)?;
            node.fixed = true;
            let first = *used;
            for _ in 0..node.count {
                let field = lay_out(r, table, used)?;
                let field = table.get(field).copied().unwrap_or_default();
                node.fixed &= field.fixed;
                node.size = node.size.saturating_add(field.size);
            }
            mark_runs(table, first, node.count);
        }
    }
    node.nodes = *used - index;
    if let Some(slot) = table.get_mut(index) {
        *slot = node;
    }
    Ok(index)
}

/// Marks the first field of each run of fixed-size fields among the `count` fields from `first`.
fn mark_runs(table: &mut [Node; MAX_DESCRIPTION_NODES], first: usize, count: usize) {
    let mut at = first;
    let mut field = 0;
    while field < count {
        let start = at;
        let (mut fields, mut nodes, mut size) = (0usize, 0usize, 0u64);
        while field < count {
            let Some(node) = table.get(at).copied() else {
                return;
            };
            if !node.fixed {
                break;
            }
            fields += 1;
            nodes += node.nodes;
            size = size.saturating_add(node.size);
            at += node.nodes.max(1);
            field += 1;
        }
        if fields > 0 {
            if let Some(node) = table.get_mut(start) {
                node.run_fields = fields;
                node.run_nodes = nodes;
                node.run_size = size;
            }
        } else {
            // A variable-size field: step over it.
            let nodes = table.get(at).map_or(1, |n| n.nodes.max(1));
            at += nodes;
            field += 1;
        }
    }
}

/// Consumes `size` content octets of fixed-size values.
fn skip_fixed(contents: &mut Reader<'_>, size: u64) -> Result<(), Error> {
    let n = usize::try_from(size).unwrap_or(usize::MAX);
    contents.bytes(n, "compact-array contents").map(|_| ())
}

/// Consumes one value of the node at `index` from the contents, counting the nodes visited.
fn visit(
    table: &[Node; MAX_DESCRIPTION_NODES],
    index: usize,
    contents: &mut Reader<'_>,
    steps: &mut usize,
) -> Result<(), Error> {
    *steps += 1;
    let node = table.get(index).copied().unwrap_or_default();
    if node.fixed {
        return skip_fixed(contents, node.size);
    }
    let data_type = DataType::from_tag(node.tag).unwrap_or(DataType::Null);
    match data_type.body() {
        Body::Octets => {
            let len = contents.length(data_type.name(), 1)?;
            contents.bytes(len, data_type.name())?;
        }
        Body::Bits => {
            skip_bits(contents)?;
        }
        Body::Elements if data_type == DataType::Array => {
            // Not fixed, so count > 0 and each element takes at least one octet: the loop ends
            // within the contents or at the first truncation.
            for _ in 0..node.count {
                visit(table, index + 1, contents, steps)?;
            }
        }
        Body::Elements => {
            let mut at = index + 1;
            let mut field = 0;
            while field < node.count {
                let child = table.get(at).copied().unwrap_or_default();
                if child.fixed && child.run_fields > 0 {
                    *steps += 1;
                    skip_fixed(contents, child.run_size)?;
                    at += child.run_nodes;
                    field += child.run_fields;
                } else {
                    visit(table, at, contents, steps)?;
                    at += child.nodes.max(1);
                    field += 1;
                }
            }
        }
        Body::Fixed(_) | Body::Compact => {}
    }
    Ok(())
}

/// Checks that `contents` (at `contents_offset`) is a whole number of values of the validated
/// description `desc` (at `desc_offset`, outlined as `shape`). Returns the work done, in nodes
/// visited, for the tests that bound it.
pub(crate) fn check_contents(
    desc: &[u8],
    desc_offset: usize,
    shape: Outline,
    contents: &[u8],
    contents_offset: usize,
) -> Result<usize, Error> {
    if shape.fixed {
        if shape.size == 0 {
            if !contents.is_empty() {
                return Err(Error::TrailingBytes {
                    offset: contents_offset,
                    what: "compact-array of values that take no octets",
                    count: contents.len(),
                });
            }
            return Ok(1);
        }
        let len = contents.len() as u64;
        let partial = len % shape.size;
        if partial != 0 {
            return Err(Error::Truncated {
                offset: contents_offset + contents.len(),
                what: "compact-array contents",
                needed: usize::try_from(shape.size - partial).unwrap_or(usize::MAX),
            });
        }
        return Ok(1);
    }
    let mut table = [Node::default(); MAX_DESCRIPTION_NODES];
    let mut used = 0;
    lay_out(&mut Reader::at(desc, desc_offset), &mut table, &mut used)?;
    let mut values = Reader::at(contents, contents_offset);
    let mut steps = used;
    while !values.is_empty() {
        // The description is not fixed-size, so each value takes at least one octet.
        visit(&table, 0, &mut values, &mut steps)?;
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(desc: &[u8], contents: &[u8]) -> Result<usize, Error> {
        let shape = outline(&mut Reader::new(desc), 1, 64)?;
        assert_eq!(shape.len, desc.len());
        check_contents(desc, 0, shape, contents, desc.len())
    }

    /// The work a naive check would do: every description node once per value.
    fn naive(desc_nodes: usize, values: usize) -> usize {
        desc_nodes * values
    }

    #[test]
    fn many_zero_size_fields_beside_one_string_cost_work_linear_in_the_input() {
        // structure of 250 fields: 248 null-data, one array of 65535 dont-care, one
        // octet-string; the contents are 60,000 empty strings (one length octet each).
        let mut desc = vec![0x02, 0x81, 250];
        desc.extend([0x00; 248]);
        desc.extend([0x01, 0xFF, 0xFF, 0xFF]);
        desc.push(0x09);
        let contents = vec![0x00; 60_000];
        let steps = check(&desc, &contents).unwrap();
        let input = desc.len() + contents.len();
        assert!(steps <= 4 * input, "{steps} steps for {input} octets");
        assert!(naive(251, 60_000) > 200 * input);
    }

    #[test]
    fn zero_size_fields_inside_a_large_described_array_cost_work_linear_in_the_input() {
        // array of 65535 { structure of 251: 250 null-data, octet-string }, one value of 65535
        // empty strings: 65,535 content octets and 65,535 structures to visit.
        let mut desc = vec![0x01, 0xFF, 0xFF, 0x02, 0x81, 251];
        desc.extend([0x00; 250]);
        desc.push(0x09);
        let contents = vec![0x00; 65_535];
        let steps = check(&desc, &contents).unwrap();
        let input = desc.len() + contents.len();
        assert!(steps <= 4 * input, "{steps} steps for {input} octets");
    }

    #[test]
    fn a_fixed_size_description_of_any_length_is_checked_in_one_step() {
        // structure of 30,000 null-data and one unsigned: 30,000 values of one octet each.
        let mut desc = vec![0x02, 0x82, 0x75, 0x31];
        desc.extend([0x00; 30_000]);
        desc.push(0x11);
        assert_eq!(check(&desc, &[0x07; 30_000]), Ok(1));
        let shape = outline(&mut Reader::new(&desc), 1, 64).unwrap();
        assert_eq!((shape.size, shape.fixed, shape.nodes), (1, true, 30_002));
    }

    #[test]
    fn deep_descriptions_cost_their_depth_per_string() {
        // 15 nested structures of one field around an octet-string: 16 nodes per value of one
        // octet, bounded by the depth limit.
        let mut desc = [0x02, 0x01].repeat(15);
        desc.push(0x09);
        let contents = vec![0x00; 10_000];
        let steps = check(&desc, &contents).unwrap();
        assert!(steps <= 16 * contents.len() + desc.len(), "{steps}");
    }

    #[test]
    fn nested_arrays_of_variable_values_are_visited_once_per_element() {
        // array of 3 { structure { null, visible-string } }, two values.
        let desc = [0x01, 0x00, 0x03, 0x02, 0x02, 0x00, 0x0A];
        let contents = [0x01, b'a', 0x00, 0x02, b'b', b'c', 0x00, 0x00, 0x00];
        let steps = check(&desc, &contents).unwrap();
        assert!(steps <= 4 + 2 * (1 + 3 * 3), "{steps}");
    }

    #[test]
    fn a_description_of_more_than_256_nodes_with_strings_is_unsupported() {
        let mut desc = vec![0x02, 0x82, 0x01, 0x00];
        desc.extend([0x11; 255]);
        desc.push(0x09);
        assert!(matches!(
            check(&desc, &[0x00]),
            Err(Error::Unsupported { offset: 259, .. })
        ));
        // The same shape with fixed-size values only needs no table.
        let mut fixed = vec![0x02, 0x82, 0x01, 0x00];
        fixed.extend([0x11; 256]);
        assert_eq!(check(&fixed, &[0u8; 512]), Ok(1));
    }
}
